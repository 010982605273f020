// A character-level tokenizer with named special tokens, and the chat template of Reprise's own small models.

import { InputError } from '../util/errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What the sampler, eval, trainers and server need of any tokenizer (our char one, or a tokenizer.json one).
 * `add_special_tokens` is always explicit: transformers adds them by default and chat prompts must not have them.
 */
export interface Tokenizer {
  /** Vocabulary size, added tokens included. */
  readonly size: number;
  readonly bos: number | undefined;
  /** The primary eos id (what a training example ends with). */
  readonly eos: number;
  /** Every id that ends a generation (generation_config.json's eos_token_id may be a list). */
  readonly eosIds: readonly number[];
  readonly pad: number;
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: readonly number[], opts?: { skip_special_tokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
}

export interface TokenizerSpec {
  kind: 'char';
  /** Ordinary characters, one token each. */
  chars: string;
  /** Multi-character tokens; the first four are always pad, bos, eos and the role markers follow. */
  specials: string[];
}

export const DEFAULT_SPECIALS = ['<pad>', '<bos>', '<eos>', '<|system|>', '<|user|>', '<|assistant|>', '<think>', '</think>', '<answer>', '</answer>'];

export class CharTokenizer implements Tokenizer {
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

  get eosIds(): readonly number[] {
    return [this.eos];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  id(token: string): number {
    const i = this.ids.get(token);
    if (i === undefined) throw new InputError(`token ${JSON.stringify(token)} is not in the vocabulary`, { hint: `the tokenizer knows: ${this.vocab.join(' ')}` });
    return i;
  }

  /** Greedy longest match of special tokens, else one character per token; `add_special_tokens` prepends bos. */
  encode(text: string, opts: { add_special_tokens?: boolean } = {}): number[] {
    const out: number[] = opts.add_special_tokens ? [this.bos] : [];
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

  /** Drops pad and bos and stops at eos (unless `stopAtEos: false`); other specials are text unless skipped. */
  decode(ids: readonly number[], opts: { stopAtEos?: boolean; skip_special_tokens?: boolean } = {}): string {
    let s = '';
    for (const id of ids) {
      if (id === this.eos && opts.stopAtEos !== false) break;
      if (id === this.pad || id === this.bos || (opts.skip_special_tokens && id < this.spec.specials.length)) continue;
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
