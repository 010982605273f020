// Local checkpoints (ours and Hugging Face directories) as a ChatBackend: the model's chat template, n rows
// sampled in one batch, a seeded Rng per row (same seed, same completions), stop strings cut afterwards.
// A chat completion's text starts with the template's generation prefix (e.g. "<think>\n" of R1-distill
// templates, which the prompt already holds): callers see the whole answer, so reasoning splits and format
// rewards work as they do on a template without a prefill. Loads tfjs: import it lazily.

import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkpointFile, loadGenerationModel, type GenerationModel } from './generation-model.js';
import { isHfDir } from '../model/hf-model.js';
import type { BackendName } from '../model/backend.js';
import { encodeChatPrompt, type TemplateMessage } from '../model/chat-template.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { Rng } from '../util/rng.js';
import { InputError, RegistryError } from '../util/errors.js';
import { applyStop, type BackendModel, type ChatBackend, type CompletionRequest, type Generation } from './chat-backend.js';
import type { ChatRequest } from './openai-client.js';
import type { SampleResult } from './sample.js';

interface Loaded { info: BackendModel; model: GenerationModel }

export function defaultModelId(path: string): string {
  const p = path.replace(/\/+$/, '');
  return basename(p.endsWith('.safetensors') ? p.slice(0, -'.safetensors'.length) : p);
}

/** One string per token whose concatenation is the decoded text; a token that ends inside a UTF-8 character gives "". */
export function decodePieces(tok: Tokenizer, ids: readonly number[]): string[] {
  const pieces: string[] = [];
  let emitted = '';
  ids.forEach((_, i) => {
    const text = tok.decode(ids.slice(0, i + 1));
    if (i < ids.length - 1 && (text.endsWith('\uFFFD') || !text.startsWith(emitted))) return pieces.push('');
    pieces.push(text.slice(emitted.length));
    emitted = text;
  });
  return pieces;
}

/**
 * Refuses, before tokenizing (a prompt of megabytes must not reach the tokenizer), text that cannot fit the
 * context even if every token were the longest one in the vocabulary.
 */
function fitsBeforeEncoding(id: string, m: GenerationModel, chars: number): void {
  if (chars > m.contextLength * m.maxTokenChars) throw new InputError(`a prompt of ${chars} characters cannot fit: the context of ${id} is ${m.contextLength} tokens`, { field: 'messages', hint: 'shorten the prompt' });
}

/** max_tokens when the request gives none: the rest of the trained context (max_position_embeddings). */
function defaultMaxTokens(m: GenerationModel, promptLength: number): number {
  if (promptLength >= m.maxPositions) throw new InputError(`the prompt has ${promptLength} tokens, max_position_embeddings is ${m.maxPositions}`, { field: 'max_tokens', hint: 'set max_tokens to generate past the trained context anyway' });
  return m.maxPositions - promptLength;
}

const chars = (content: unknown) => (typeof content === 'string' ? content.length : JSON.stringify(content ?? '').length);

export class LocalChatBackend implements ChatBackend {
  private readonly byId = new Map<string, Loaded>();

  private constructor() {}

  /** Loads every checkpoint now; ids default to the directory names. */
  static async load(checkpoints: { id?: string; path: string }[], backend: BackendName = 'wasm'): Promise<LocalChatBackend> {
    const b = new LocalChatBackend();
    for (const c of checkpoints) {
      const id = c.id ?? defaultModelId(c.path);
      try {
        const model = await loadGenerationModel(c.path, backend);
        const file = isHfDir(c.path) ? join(c.path, 'config.json') : checkpointFile(c.path);
        b.byId.set(id, { info: { id, created: Math.floor(statSync(file).mtimeMs / 1000), owned_by: 'reprise' }, model });
      } catch (e) {
        b.dispose();
        throw new InputError(`cannot serve model "${id}" (${c.path}): ${(e as Error).message.split('\n')[0]}`, { hint: 'name a directory holding a model.safetensors that Reprise wrote or a Hugging Face checkpoint (config.json), or leave the model out' });
      }
    }
    return b;
  }

  models(): BackendModel[] {
    return [...this.byId.values()].map((m) => m.info);
  }

  sha256(id: string): string {
    return this.get(id).model.sha256;
  }

  /** Hash of the chat template (and what it renders with) the model's prompts are made with. */
  chatTemplateSha256(id: string): string {
    return this.get(id).model.template.sha256;
  }

  dispose(): void {
    for (const m of this.byId.values()) m.model.dispose();
    this.byId.clear();
  }

  private get(id: string): Loaded {
    const m = this.byId.get(id);
    if (!m) throw new RegistryError('model', id, [...this.byId.keys()]);
    return m;
  }

  async chat(model: string, req: ChatRequest): Promise<Generation> {
    const m = this.get(model).model;
    fitsBeforeEncoding(model, m, req.messages.reduce((a, x) => a + chars(x.content), 0));
    const p = encodeChatPrompt(m.template, m.tokenizer, req.messages as TemplateMessage[]);
    return this.generate(model, m, p.ids, req, p.generationPrefix);
  }

  /**
   * Several chat requests of one model and the same sampling settings in one batched sampling call. Every row
   * keeps the Rng it would get alone (seeded by its request's seed), so the completions equal those of chat().
   */
  async chatBatch(model: string, reqs: readonly ChatRequest[]): Promise<Generation[]> {
    const m = this.get(model).model;
    const prompts = reqs.map((req) => {
      fitsBeforeEncoding(model, m, req.messages.reduce((a, x) => a + chars(x.content), 0));
      const p = encodeChatPrompt(m.template, m.tokenizer, req.messages as TemplateMessage[]);
      this.checkRoom(model, m, p.ids, req);
      return p;
    });
    const out: Generation[] = new Array(reqs.length);
    // a prompt near the end of the context has fewer tokens left: rows are batched with those of the same budget
    const byBudget = new Map<number, number[]>();
    reqs.forEach((req, k) => {
      const t = this.maxTokens(m, prompts[k].ids, req);
      byBudget.set(t, [...(byBudget.get(t) ?? []), k]);
    });
    for (const [maxTokens, ks] of byBudget) {
      const rows = ks.flatMap((k) => this.rows(reqs[k]).map((rng) => ({ k, rng })));
      const s = reqs[ks[0]];
      const res = await m.sample(rows.map((r) => prompts[r.k].ids), { temperature: s.temperature ?? 1, top_p: s.top_p ?? 1, max_tokens: maxTokens }, rows.map((r) => r.rng));
      for (const k of ks) out[k] = this.generation(m, prompts[k].ids, res.filter((_, i) => rows[i].k === k), reqs[k], prompts[k].generationPrefix);
    }
    return out;
  }

  async complete(model: string, req: CompletionRequest): Promise<Generation> {
    const m = this.get(model).model;
    fitsBeforeEncoding(model, m, req.prompt.length);
    return this.generate(model, m, m.tokenizer.encode(req.prompt, { add_special_tokens: true }), req, '');
  }

  private checkRoom(id: string, m: GenerationModel, prompt: number[], req: Omit<CompletionRequest, 'prompt'>): void {
    if (prompt.length >= m.contextLength) throw new InputError(`the prompt is ${prompt.length} tokens; the context of ${id} is ${m.contextLength}, leaving no room for a completion`, { field: 'messages', hint: 'shorten the prompt' });
    const n = req.n ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new InputError(`n must be an integer in 1..128, got ${n}`, { field: 'n' });
  }

  private rows(req: Omit<CompletionRequest, 'prompt'>): Rng[] {
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
    return Array.from({ length: req.n ?? 1 }, (_, i) => new Rng(`serve/${seed}/${i}`));
  }

  private maxTokens(m: GenerationModel, prompt: number[], req: Omit<CompletionRequest, 'prompt'>): number {
    const room = m.contextLength - prompt.length;
    return Math.min(req.max_tokens ?? defaultMaxTokens(m, prompt.length), room);
  }

  private generation(m: GenerationModel, prompt: number[], res: SampleResult[], req: Omit<CompletionRequest, 'prompt'>, prefix: string): Generation {
    const choices = res.map((r) => {
      const pieces = decodePieces(m.tokenizer, r.finished ? r.tokens.slice(0, -1) : r.tokens);
      return applyStop(prefix ? [prefix, ...pieces] : pieces, req.stop, r.finished);
    });
    return { choices, prompt_tokens: prompt.length, completion_tokens: res.reduce((s, r) => s + r.tokens.length, 0) };
  }

  private async generate(id: string, m: GenerationModel, prompt: number[], req: Omit<CompletionRequest, 'prompt'>, prefix: string): Promise<Generation> {
    this.checkRoom(id, m, prompt, req);
    const rows = this.rows(req);
    const res = await m.sample(
      rows.map(() => prompt),
      { temperature: req.temperature ?? 1, top_p: req.top_p ?? 1, max_tokens: this.maxTokens(m, prompt, req) },
      rows,
    );
    return this.generation(m, prompt, res, req, prefix);
  }
}
