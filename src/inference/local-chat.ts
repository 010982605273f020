// Reprise's own checkpoints as a ChatBackend: the tokenizer's chat template, n rows sampled in one batch, a
// seeded Rng per row (same seed, same completions), stop strings cut afterwards. Loads tfjs: import it lazily.

import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { disposeModel, initBackend, loadModel, type BackendName, type LocalModel } from './local.js';
import type { TokenizerSpec } from '../model/tokenizer.js';
import { sampleBatch } from './sample.js';
import { Rng } from '../util/rng.js';
import { InputError, RegistryError } from '../util/errors.js';
import { applyStop, type BackendModel, type ChatBackend, type CompletionRequest, type Generation } from './chat-backend.js';
import type { ChatRequest } from './openai-client.js';

interface Loaded { info: BackendModel; model: LocalModel; sha256: string }

/** A checkpoint directory (holding model.safetensors) or the file itself. */
export function checkpointFile(path: string): string {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
  if (!existsSync(file)) throw new InputError('checkpoint not found', { file, hint: 'name a directory with model.safetensors, e.g. .reprise/stages/grpo-<hash>/' });
  return file;
}

export function defaultModelId(path: string): string {
  const p = path.replace(/\/+$/, '');
  return basename(p.endsWith('.safetensors') ? p.slice(0, -'.safetensors'.length) : p);
}

/**
 * Refuses, before tokenizing (a prompt of megabytes must not reach the tokenizer), text that cannot fit the
 * context even if every token were the longest one in the vocabulary.
 */
function fitsBeforeEncoding(id: string, m: LocalModel, chars: number): void {
  const longest = Math.max(...m.tokenizer.vocab.map((t) => t.length));
  if (chars > m.cfg.context_length * longest) throw new InputError(`a prompt of ${chars} characters cannot fit: the context of ${id} is ${m.cfg.context_length} tokens`, { field: 'messages', hint: 'shorten the prompt' });
}

export class LocalChatBackend implements ChatBackend {
  private readonly byId = new Map<string, Loaded>();

  private constructor() {}

  /** Loads every checkpoint now; ids default to the directory names. */
  static async load(checkpoints: { id?: string; path: string }[], backend: BackendName = 'wasm'): Promise<LocalChatBackend> {
    await initBackend(backend);
    const b = new LocalChatBackend();
    for (const c of checkpoints) {
      const id = c.id ?? defaultModelId(c.path);
      try {
        const file = checkpointFile(c.path);
        const { model, sha256 } = loadModel(file);
        b.byId.set(id, { info: { id, created: Math.floor(statSync(file).mtimeMs / 1000), owned_by: 'reprise' }, model, sha256 });
      } catch (e) {
        b.dispose();
        throw new InputError(`cannot serve model "${id}" (${c.path}): ${(e as Error).message.split('\n')[0]}`, { hint: 'name a directory holding a model.safetensors that Reprise wrote, or leave the model out' });
      }
    }
    return b;
  }

  models(): BackendModel[] {
    return [...this.byId.values()].map((m) => m.info);
  }

  sha256(id: string): string {
    return this.get(id).sha256;
  }

  tokenizerSpec(id: string): TokenizerSpec {
    return this.get(id).model.tokenizer.spec;
  }

  dispose(): void {
    for (const m of this.byId.values()) disposeModel(m.model);
    this.byId.clear();
  }

  private get(id: string): Loaded {
    const m = this.byId.get(id);
    if (!m) throw new RegistryError('model', id, [...this.byId.keys()]);
    return m;
  }

  async chat(model: string, req: ChatRequest): Promise<Generation> {
    const m = this.get(model);
    fitsBeforeEncoding(model, m.model, req.messages.reduce((a, x) => a + x.content.length, 0));
    return this.generate(model, m.model, m.model.tokenizer.encodePrompt(req.messages), req);
  }

  async complete(model: string, req: CompletionRequest): Promise<Generation> {
    const m = this.get(model);
    fitsBeforeEncoding(model, m.model, req.prompt.length);
    return this.generate(model, m.model, [m.model.tokenizer.bos, ...m.model.tokenizer.encode(req.prompt)], req);
  }

  private generate(id: string, m: LocalModel, prompt: number[], req: Omit<CompletionRequest, 'prompt'>): Generation {
    if (prompt.length >= m.cfg.context_length) throw new InputError(`the prompt is ${prompt.length} tokens; the context of ${id} is ${m.cfg.context_length}, leaving no room for a completion`, { field: 'messages', hint: 'shorten the prompt' });
    const n = req.n ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new InputError(`n must be an integer in 1..128, got ${n}`, { field: 'n' });
    const room = m.cfg.context_length - prompt.length;
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
    const tok = m.tokenizer;
    const res = sampleBatch(
      m.params,
      m.cfg,
      Array.from({ length: n }, () => prompt),
      { temperature: req.temperature ?? 1, top_p: req.top_p ?? 1, max_tokens: Math.min(req.max_tokens ?? room, room) },
      tok.eos,
      tok.pad,
      Array.from({ length: n }, (_, i) => new Rng(`serve/${seed}/${i}`)),
    );
    const choices = res.map((r) => {
      const ids = r.finished ? r.tokens.slice(0, -1) : r.tokens;
      return applyStop(ids.map((id) => tok.decode([id])), req.stop, r.finished);
    });
    return { choices, prompt_tokens: prompt.length, completion_tokens: res.reduce((s, r) => s + r.tokens.length, 0) };
  }
}
