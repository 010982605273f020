// Chat templates behind one interface: a Hugging Face checkpoint's Jinja template (chat_template.jinja, else
// tokenizer_config.json's chat_template, a string or a list of named ones) rendered through @huggingface/jinja as
// transformers' apply_chat_template renders it, and the template of Reprise's char models ("reprise-char-v1").
//
// Token ids of a prompt are `encode(render(...), { add_special_tokens: false })`: the template writes its own
// special tokens (bos included) and transformers adds none on top when it tokenizes a rendered chat.
//
// The generation prefix: some templates put the start of the answer into the prompt — R1-distill templates end
// the generation prompt with "<think>\n" — so the model's completion starts inside the think block and never
// contains the opening tag. `generationPrefix` is the text the generation prompt adds after the assistant header
// (the header as the template writes it before an earlier assistant turn); callers that score or train on the
// whole answer (format rewards, the eval's records, GRPO) use `generationPrefix + completion`, never the
// completion alone. It is "" for templates without a prefill (ChatML, Llama 3, reprise-char-v1).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { InputError } from '../util/errors.js';
import { hashJson } from '../util/hash.js';
import type { CharTokenizer, Tokenizer } from './tokenizer.js';
import type { HfTokenizer } from './hf-tokenizer.js';

/** A chat message as OpenAI and transformers write it; templates may read any other key it has (tool_calls, name, …). */
export interface TemplateMessage {
  role: string;
  content?: unknown;
}

export interface RenderOptions {
  add_generation_prompt: boolean;
  tools?: unknown[];
  documents?: unknown[];
  /** Extra template variables (e.g. enable_thinking); they override the special tokens, as in transformers. */
  kwargs?: Record<string, unknown>;
}

export interface ChatTemplate {
  /** "jinja" or "reprise-char-v1". */
  readonly kind: string;
  /** Where the template came from (a file, or the built-in name). */
  readonly source: string;
  /** Hash of everything that decides the rendering (template text and special tokens; the char vocabulary). */
  readonly sha256: string;
  render(messages: readonly TemplateMessage[], opts: RenderOptions): string;
  /** The prefill the generation prompt adds after the assistant header, e.g. "<think>\n"; "" when none. */
  generationPrefix(messages: readonly TemplateMessage[], opts?: Omit<RenderOptions, 'add_generation_prompt'>): string;
}

export interface ChatPrompt {
  text: string;
  ids: number[];
  generationPrefix: string;
}

/** The prompt of a conversation as a model sees it: rendered with the generation prompt, tokenized without added specials. */
export function encodeChatPrompt(template: ChatTemplate, tok: Tokenizer, messages: readonly TemplateMessage[], opts: Omit<RenderOptions, 'add_generation_prompt'> = {}): ChatPrompt {
  const text = template.render(messages, { ...opts, add_generation_prompt: true });
  return { text, ids: tok.encode(text, { add_special_tokens: false }), generationPrefix: template.generationPrefix(messages, opts) };
}

const SENTINEL = 'reprise-assistant-sentinel';

class TemplateRaised extends Error {}

function pyRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's datetime.strftime in the C locale (local time), for the directives chat templates use. */
export function strftime(d: Date, fmt: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return fmt.replace(/%[YymdeBbAaHIMSpjz%]/g, (t) => {
    switch (t[1]) {
      case 'Y': return String(d.getFullYear());
      case 'y': return p2(d.getFullYear() % 100);
      case 'm': return p2(d.getMonth() + 1);
      case 'd': return p2(d.getDate());
      case 'e': return String(d.getDate()).padStart(2, ' ');
      case 'B': return MONTHS[d.getMonth()];
      case 'b': return MONTHS[d.getMonth()].slice(0, 3);
      case 'A': return DAYS[d.getDay()];
      case 'a': return DAYS[d.getDay()].slice(0, 3);
      case 'H': return p2(d.getHours());
      case 'I': return p2(d.getHours() % 12 || 12);
      case 'M': return p2(d.getMinutes());
      case 'S': return p2(d.getSeconds());
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'j': return String(Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 864e5) + 1).padStart(3, '0');
      case 'z': return '';
      default: return '%';
    }
  });
}

export class JinjaChatTemplate implements ChatTemplate {
  readonly kind = 'jinja';
  private readonly template: Template;
  private readonly headers = new Map<string, string | undefined>();
  readonly sha256: string;

  constructor(
    readonly text: string,
    readonly source: string,
    private readonly specialTokens: Record<string, unknown> = {},
  ) {
    this.sha256 = hashJson({ template: text, special_tokens: specialTokens });
    try {
      this.template = new Template(text);
    } catch (e) {
      throw new InputError(`the chat template does not parse: ${(e as Error).message}`, { file: source, field: 'chat_template' });
    }
  }

  render(messages: readonly TemplateMessage[], opts: RenderOptions): string {
    // transformers: render(messages=…, tools=…, documents=…, add_generation_prompt=…, **special_tokens_map, **kwargs),
    // with raise_exception and strftime_now as globals. Built by hand (not Template.render) so that a
    // raise_exception is told apart from a broken template and strftime_now writes C-locale names as Python does.
    const env = new Environment();
    const vars: Record<string, unknown> = {
      ...{ true: true, false: false, none: null, True: true, False: false, None: null, range: pyRange, strftime_now: (fmt: string) => strftime(new Date(), fmt) },
      raise_exception: (msg: unknown) => {
        throw new TemplateRaised(String(msg));
      },
      ...this.specialTokens,
      ...opts.kwargs,
      messages,
      tools: opts.tools ?? null,
      documents: opts.documents ?? null,
      add_generation_prompt: opts.add_generation_prompt,
    };
    for (const [k, v] of Object.entries(vars)) env.set(k, v);
    try {
      return (new Interpreter(env).run(this.template.parsed) as { value: string }).value;
    } catch (e) {
      if (e instanceof TemplateRaised) throw new InputError(`the chat template refused the conversation: ${e.message}`, { file: this.source, field: 'messages' });
      throw new InputError(`the chat template failed to render: ${(e as Error).message}`, { file: this.source, field: 'messages' });
    }
  }

  generationPrefix(messages: readonly TemplateMessage[], opts: Omit<RenderOptions, 'add_generation_prompt'> = {}): string {
    const header = this.assistantHeader(opts);
    if (header === undefined) return '';
    const without = this.render(messages, { ...opts, add_generation_prompt: false });
    const withGen = this.render(messages, { ...opts, add_generation_prompt: true });
    if (!withGen.startsWith(without)) return '';
    const added = withGen.slice(without.length);
    return added.startsWith(header) ? added.slice(header.length) : '';
  }

  /** The text the template writes between a user turn and an earlier assistant turn's content. */
  private assistantHeader(opts: Omit<RenderOptions, 'add_generation_prompt'>): string | undefined {
    const key = JSON.stringify(opts);
    if (!this.headers.has(key)) {
      let header: string | undefined;
      try {
        const one = this.render([{ role: 'user', content: 'U' }], { ...opts, add_generation_prompt: false });
        const three = this.render([{ role: 'user', content: 'U' }, { role: 'assistant', content: SENTINEL }, { role: 'user', content: 'V' }], { ...opts, add_generation_prompt: false });
        const at = three.indexOf(SENTINEL);
        if (three.startsWith(one) && at >= one.length) header = three.slice(one.length, at);
      } catch {
        header = undefined;
      }
      this.headers.set(key, header);
    }
    return this.headers.get(key);
  }
}

/**
 * The template of Reprise's char models: "<bos>", then "<|role|>content" per system and user turn, then
 * "<|assistant|>" (the generation prompt). Earlier assistant turns are left out (the models are trained on
 * single-turn data, and encodePrompt has always dropped them); a final assistant turn without the generation
 * prompt is written with its eos, as a training example.
 */
export class CharChatTemplate implements ChatTemplate {
  readonly kind = 'reprise-char-v1';
  readonly source = 'reprise-char-v1';
  readonly sha256: string;

  constructor(private readonly tok: CharTokenizer) {
    this.sha256 = hashJson({ template: 'reprise-char-v1', tokenizer: tok.spec });
  }

  render(messages: readonly TemplateMessage[], opts: RenderOptions): string {
    const voc = this.tok.vocab;
    let s = voc[this.tok.bos];
    messages.forEach((m, i) => {
      if (!['system', 'user', 'assistant'].includes(m.role)) throw new InputError(`role "${m.role}" is not one of system, user, assistant (template reprise-char-v1)`, { field: `messages[${i}].role` });
      if (typeof m.content !== 'string') throw new InputError('content must be a string (template reprise-char-v1)', { field: `messages[${i}].content` });
      try {
        this.tok.encode(m.content); // the offset of a character outside the vocabulary, within its message
      } catch (e) {
        const err = e as InputError;
        throw new InputError(err.message.split('\n  hint: ')[0], { field: `messages[${i}].content`, hint: err.hint });
      }
      const finalAnswer = m.role === 'assistant' && i === messages.length - 1 && !opts.add_generation_prompt;
      if (finalAnswer) s += `<|assistant|>${m.content}${voc[this.tok.eos]}`;
      else if (m.role !== 'assistant') s += `<|${m.role}|>${m.content}`;
    });
    return opts.add_generation_prompt ? s + '<|assistant|>' : s;
  }

  generationPrefix(): string {
    return '';
  }
}

/**
 * The chat template of a Hugging Face checkpoint directory: chat_template.jinja if present (transformers 5 writes
 * it there and prefers it), else tokenizer_config.json's chat_template. A list of named templates gives the one
 * called `name`, else "tool_use" when `tools` are passed and there is one, else "default". Undefined when the
 * directory has no template (a base model).
 */
export function loadChatTemplate(dir: string, tok: HfTokenizer, opts: { name?: string; tools?: boolean } = {}): JinjaChatTemplate | undefined {
  const jinjaFile = join(dir, 'chat_template.jinja');
  if (existsSync(jinjaFile)) return new JinjaChatTemplate(readFileSync(jinjaFile, 'utf8'), jinjaFile, tok.specialTokens);
  const cfgFile = join(dir, 'tokenizer_config.json');
  const t = tok.config.chat_template;
  if (t == null) return undefined;
  if (typeof t === 'string') return new JinjaChatTemplate(t, cfgFile, tok.specialTokens);
  const names = t.map((x) => x.name);
  const want = opts.name ?? (opts.tools && names.includes('tool_use') ? 'tool_use' : 'default');
  const hit = t.find((x) => x.name === want);
  if (!hit) throw new InputError(`no chat template named "${want}"`, { file: cfgFile, field: 'chat_template', hint: `the file has: ${names.join(', ')}` });
  return new JinjaChatTemplate(hit.template, `${cfgFile} (chat_template "${want}")`, tok.specialTokens);
}
