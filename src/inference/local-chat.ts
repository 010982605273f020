// Local checkpoints as a ChatBackend — Reprise's own and Hugging Face directories (through their tokenizer and chat
// template): n rows sampled in one batch, a seeded Rng per row (same seed, same completions), stop strings cut
// afterwards. Loads tfjs: import it lazily.

import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { disposeModel, gptLM, initBackend, loadModel, type BackendName, type LocalModel } from './local.js';
import { isHfDir, readDecoderConfig } from '../model/hf-model.js';
import { encodeChatPrompt } from '../model/chat-template.js';
import { loadGenerationModel, type GenerationModel } from './generation-model.js';
import { hashJson } from '../util/hash.js';
import { sampleBatch } from './sample.js';
import { Rng } from '../util/rng.js';
import { InputError, RegistryError } from '../util/errors.js';
import { applyStop, type BackendModel, type ChatBackend, type CompletionRequest, type Generation } from './chat-backend.js';
import type { ChatRequest } from './openai-client.js';

/** What serving needs of a model, whatever its kind. */
interface Served {
  chatPrompt(messages: ChatRequest['messages']): number[];
  textPrompt(text: string): number[];
  /** Longest completion a prompt of this length leaves room for (learned positions), Infinity for RoPE models. */
  room(promptLength: number): number;
  /** max_tokens when the request has none: the rest of the context (max_position_embeddings for RoPE models). */
  defaultMax(promptLength: number): number;
  sample(prompts: number[][], s: { temperature: number; top_p: number; max_tokens: number }, rows: Rng[]): { tokens: number[]; finished: boolean }[];
  /** The completion's text, one piece per token (eos already removed). */
  pieces(ids: number[]): string[];
  templateSha256: string;
  dispose(): void;
}

interface Loaded { info: BackendModel; model: Served; sha256: string }

function gptServed(m: LocalModel): Served {
  const tok = m.tokenizer;
  return {
    chatPrompt: (messages) => tok.encodePrompt(messages),
    textPrompt: (text) => [tok.bos, ...tok.encode(text)],
    room: (n) => m.cfg.context_length - n,
    defaultMax: (n) => m.cfg.context_length - n,
    sample: (prompts, s, rows) => sampleBatch(gptLM(m), prompts, s, tok.eos, tok.pad, rows),
    pieces: (ids) => ids.map((id) => tok.decode([id])),
    templateSha256: hashJson({ template: 'reprise-char-v1', tokenizer: tok.spec }),
    dispose: () => disposeModel(m),
  };
}

/** A Hugging Face directory: its template renders chats as apply_chat_template does; text is decoded incrementally. */
function hfServed(g: GenerationModel, maxPositions: number): Served {
  const tok = g.tokenizer;
  return {
    chatPrompt: (messages) => encodeChatPrompt(g.template, tok, messages.map((m) => ({ role: m.role, content: m.content }))).ids,
    textPrompt: (text) => tok.encode(text, { add_special_tokens: true }),
    room: () => Infinity,
    defaultMax: (n) => {
      if (n >= maxPositions) throw new InputError(`the prompt has ${n} tokens, max_position_embeddings is ${maxPositions}`, { field: 'max_tokens', hint: 'set max_tokens to generate past the trained context anyway' });
      return maxPositions - n;
    },
    sample: (prompts, s, rows) => g.sample(prompts, s, rows),
    pieces: (ids) => {
      const out: string[] = [];
      let prev = '';
      for (let i = 1; i <= ids.length; i++) {
        const text = tok.decode(ids.slice(0, i), { skip_special_tokens: true });
        out.push(text.slice(prev.length));
        prev = text;
      }
      return out;
    },
    templateSha256: g.template.sha256,
    dispose: () => g.dispose(),
  };
}

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

export class LocalChatBackend implements ChatBackend {
  private readonly byId = new Map<string, Loaded>();

  private constructor() {}

  /** Loads every checkpoint now; ids default to the directory names. */
  static async load(checkpoints: { id?: string; path: string }[], backend: BackendName = 'wasm'): Promise<LocalChatBackend> {
    await initBackend(backend);
    const b = new LocalChatBackend();
    for (const c of checkpoints) {
      const id = c.id ?? defaultModelId(c.path);
      if (isHfDir(c.path)) {
        const g = await loadGenerationModel(c.path, backend);
        const created = Math.floor(statSync(join(c.path, 'config.json')).mtimeMs / 1000);
        b.byId.set(id, { info: { id, created, owned_by: 'reprise' }, model: hfServed(g, readDecoderConfig(c.path).decoder.max_position_embeddings), sha256: g.sha256 });
        continue;
      }
      const file = checkpointFile(c.path);
      const { model, sha256 } = loadModel(file);
      b.byId.set(id, { info: { id, created: Math.floor(statSync(file).mtimeMs / 1000), owned_by: 'reprise' }, model: gptServed(model), sha256 });
    }
    return b;
  }

  models(): BackendModel[] {
    return [...this.byId.values()].map((m) => m.info);
  }

  sha256(id: string): string {
    return this.get(id).sha256;
  }

  /** Hash of what renders the chat prompt (the char template and vocabulary, or the Jinja template and specials). */
  chatTemplateSha256(id: string): string {
    return this.get(id).model.templateSha256;
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
    const m = this.get(model);
    return this.generate(m.model, m.model.chatPrompt(req.messages), req);
  }

  async complete(model: string, req: CompletionRequest): Promise<Generation> {
    const m = this.get(model);
    return this.generate(m.model, m.model.textPrompt(req.prompt), req);
  }

  private generate(m: Served, prompt: number[], req: Omit<CompletionRequest, 'prompt'>): Generation {
    const n = req.n ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new InputError(`n must be an integer in 1..128, got ${n}`, { field: 'n' });
    const room = m.room(prompt.length);
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
    const res = m.sample(
      Array.from({ length: n }, () => prompt),
      { temperature: req.temperature ?? 1, top_p: req.top_p ?? 1, max_tokens: Math.min(req.max_tokens ?? m.defaultMax(prompt.length), room) },
      Array.from({ length: n }, (_, i) => new Rng(`serve/${seed}/${i}`)),
    );
    const choices = res.map((r) => {
      const ids = r.finished ? r.tokens.slice(0, -1) : r.tokens;
      return applyStop(m.pieces(ids), req.stop, r.finished);
    });
    return { choices, prompt_tokens: prompt.length, completion_tokens: res.reduce((s, r) => s + r.tokens.length, 0) };
  }
}
