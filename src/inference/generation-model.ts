// A model loaded for generation, whatever its kind: its tokenizer and chat template (one interface for both), its
// context length, the sampling defaults of its generation_config.json, and batched sampling with a seeded Rng per
// row. Loads tfjs: import it lazily.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, type BackendName } from '../model/backend.js';
import { disposeModel, gptLM, loadModel } from '../model/lm.js';
import { CharChatTemplate, loadChatTemplate, type ChatTemplate } from '../model/chat-template.js';
import { loadHfTokenizer } from '../model/hf-tokenizer.js';
import { isHfDir, loadHfModel } from '../model/hf-model.js';
import type { GenerationDefaults } from '../model/hf-config.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { InputError } from '../util/errors.js';
import { hashJson, sha256 } from '../util/hash.js';
import type { Rng } from '../util/rng.js';
import { sampleBatch, type SampleResult, type SamplingParams } from './sample.js';

export interface GenerationModel {
  /** What the model is: "reprise-gpt" or the Hugging Face model_type. */
  kind: string;
  /** sha256 of the weights (every shard of a Hugging Face directory). */
  sha256: string;
  tokenizer: Tokenizer;
  template: ChatTemplate;
  contextLength: number;
  /** The trained context (max_position_embeddings; our GPT's context_length): a request without max_tokens stops there. */
  maxPositions: number;
  /** Characters of the longest token (bounds a prompt's length before tokenizing it). */
  maxTokenChars: number;
  /** Sampling settings from generation_config.json; do_sample false (or absent there) means greedy. */
  defaults: Partial<Pick<SamplingParams, 'temperature' | 'top_p' | 'top_k' | 'max_tokens'>>;
  /** One completion per prompt, eos included when produced; rows[i] seeds row i only. */
  sample(prompts: number[][], s: SamplingParams, rows: readonly Rng[]): Promise<SampleResult[]>;
  dispose(): void;
}

/** transformers' sampling when generate() gets no sampling arguments: greedy unless do_sample, then top_k 50 by default. */
export function generationDefaults(g: GenerationDefaults): GenerationModel['defaults'] {
  const max = g.max_new_tokens !== undefined ? { max_tokens: g.max_new_tokens } : {};
  if (!g.do_sample) return { temperature: 0, ...max };
  return { temperature: g.temperature ?? 1, top_p: g.top_p ?? 1, top_k: g.top_k ?? 50, ...max };
}

/** A checkpoint directory (holding model.safetensors) or the file itself. */
export function checkpointFile(path: string): string {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
  if (!existsSync(file)) throw new InputError('checkpoint not found', { file, hint: 'name a directory with model.safetensors (ours) or config.json (Hugging Face), e.g. .reprise/stages/grpo-<hash>/' });
  return file;
}

/** Our checkpoints (model.safetensors holding a reprise-gpt, or the file) and Hugging Face directories (config.json). */
export async function loadGenerationModel(path: string, backend: BackendName = 'wasm'): Promise<GenerationModel> {
  if (isHfDir(path)) {
    const tok = loadHfTokenizer(path);
    const template = loadChatTemplate(path, tok);
    if (!template) throw new InputError('the checkpoint has no chat template (neither chat_template.jinja nor chat_template in tokenizer_config.json)', { file: path, hint: 'a base model has none; generate needs a chat model, or add a template to the directory' });
    const lm = await loadHfModel(path, { backend });
    const eos = lm.config.eos_token_ids.length ? lm.config.eos_token_ids : [...tok.eosIds];
    return {
      kind: lm.config.arch,
      sha256: weightsSha256(path),
      tokenizer: tok,
      template,
      contextLength: Infinity,
      maxPositions: lm.config.decoder.max_position_embeddings,
      maxTokenChars: Infinity,
      defaults: generationDefaults(lm.generation),
      sample: (prompts, s, rows) => sampleBatch(lm, prompts, s, eos, tok.pad, rows),
      dispose: () => lm.dispose(),
    };
  }
  await initBackend(backend);
  const { model, sha256 } = loadModel(checkpointFile(path));
  const tok = model.tokenizer;
  return {
    kind: 'reprise-gpt',
    sha256,
    tokenizer: tok,
    template: new CharChatTemplate(tok),
    contextLength: model.cfg.context_length,
    maxPositions: model.cfg.context_length,
    maxTokenChars: Math.max(...tok.vocab.map((t) => t.length)),
    defaults: {},
    sample: (prompts, s, rows) => sampleBatch(gptLM(model), prompts, s, tok.eosIds, tok.pad, rows),
    dispose: () => disposeModel(model),
  };
}

/** sha256 over the safetensors files of a directory (name and content hash of each, sorted). */
function weightsSha256(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  return hashJson(files.map((f) => [f, sha256(readFileSync(join(dir, f)))]));
}
