// A character-level tokenizer with named special tokens, and the chat template of Reprise's own small models.

import { InputError } from '../util/errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenizerSpec {
  kind: 'char';
  /** Ordinary characters, one token each. */
  chars: string;
  /** Multi-character tokens; the first four are always pad, bos, eos and the role markers follow. */
  specials: string[];
}

export const DEFAULT_SPECIALS = ['<pad>', '<bos>', '<eos>', '<|system|>', '<|user|>', '<|assistant|>', '<think>', '</think>', '<answer>', '</answer>'];

export class CharTokenizer {
  readonly vocab: string[];
  private readonly ids = new Map<string, number>();
  private readonly specialsByLength: string[];
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;

  constructor(readonly spec: TokenizerSpec) {
    this.vocab = [...spec.specials, ...Array.from(new Set(spec.chars))];
    this.vocab.forEach((t, i) => this.ids.set(t, i));
    this.specialsByLength = [...spec.specials].sort((a, b) => b.length - a.length);
    this.pad = this.id('<pad>');
    this.bos = this.id('<bos>');
    this.eos = this.id('<eos>');
  }

  get size(): number {
    return this.vocab.length;
  }

  id(token: string): number {
    const i = this.ids.get(token);
    if (i === undefined) throw new InputError(`token ${JSON.stringify(token)} is not in the vocabulary`, { hint: `the tokenizer knows: ${this.vocab.join(' ')}` });
    return i;
  }

  /** Greedy longest match of special tokens, else one character per token. */
  encode(text: string): number[] {
    const out: number[] = [];
    let i = 0;
    outer: while (i < text.length) {
      if (text[i] === '<') {
        for (const s of this.specialsByLength) {
          if (text.startsWith(s, i)) {
            out.push(this.ids.get(s)!);
            i += s.length;
            continue outer;
          }
        }
      }
      const id = this.ids.get(text[i]);
      if (id === undefined) throw new InputError(`character ${JSON.stringify(text[i])} at offset ${i} is not in the vocabulary`, { hint: `allowed characters: ${JSON.stringify(this.spec.chars)}` });
      out.push(id);
      i++;
    }
    return out;
  }

  decode(ids: readonly number[], opts: { stopAtEos?: boolean } = {}): string {
    let s = '';
    for (const id of ids) {
      if (id === this.eos && opts.stopAtEos !== false) break;
      if (id === this.pad || id === this.bos) continue;
      s += this.vocab[id] ?? '';
    }
    return s;
  }

  /** The prompt part of the chat template: everything up to and including the assistant marker. */
  encodePrompt(messages: readonly ChatMessage[]): number[] {
    const ids = [this.bos];
    for (const m of messages) {
      if (m.role === 'assistant') continue;
      ids.push(this.id(`<|${m.role}|>`), ...this.encode(m.content));
    }
    ids.push(this.id('<|assistant|>'));
    return ids;
  }

  /** Prompt and completion tokens of a conversation ending in an assistant turn; the completion ends with eos. */
  encodeChat(messages: readonly ChatMessage[]): { prompt: number[]; completion: number[] } {
    const last = messages[messages.length - 1];
    if (!last || last.role !== 'assistant') throw new InputError('a training conversation must end with an assistant message', { field: 'messages' });
    return { prompt: this.encodePrompt(messages.slice(0, -1)), completion: [...this.encode(last.content), this.eos] };
  }
}
