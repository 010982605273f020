// A model loaded for generation, whatever its kind: its tokenizer and chat template (one interface for both), its
// context length, the sampling defaults of its generation_config.json, and batched sampling with a seeded Rng per
// row. Loads tfjs: import it lazily.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { initBackend, type BackendName } from '../model/backend.js';
import { disposeModel, loadModel } from '../model/lm.js';
import { CharChatTemplate, type ChatTemplate } from '../model/chat-template.js';
import { readConfigJson } from '../model/hf-tokenizer.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { InputError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { checkpointFile } from './local-chat.js';
import { sampleBatch, type SampleResult, type SamplingParams } from './sample.js';

export interface GenerationModel {
  /** What the model is: "reprise-gpt" or the Hugging Face model_type. */
  kind: string;
  /** sha256 of the weights file (the first shard for sharded checkpoints). */
  sha256: string;
  tokenizer: Tokenizer;
  template: ChatTemplate;
  contextLength: number;
  /** Sampling settings from generation_config.json; do_sample false (or absent there) means greedy. */
  defaults: Partial<Pick<SamplingParams, 'temperature' | 'top_p' | 'top_k'>>;
  /** One completion per prompt, eos included when produced; rows[i] seeds row i only. */
  sample(prompts: number[][], s: SamplingParams, rows: readonly Rng[]): SampleResult[];
  dispose(): void;
}

const GenerationConfig = z
  .object({ do_sample: z.boolean().optional(), temperature: z.number().nullable().optional(), top_p: z.number().nullable().optional(), top_k: z.number().int().nullable().optional() })
  .loose();

/** transformers' defaults when generate() is called with no sampling arguments. */
export function generationDefaults(dir: string): GenerationModel['defaults'] {
  const file = join(dir, 'generation_config.json');
  if (!existsSync(file)) return {};
  const g = readConfigJson(file, GenerationConfig);
  if (!g.do_sample) return { temperature: 0 };
  return { temperature: g.temperature ?? 1, top_p: g.top_p ?? 1, top_k: g.top_k ?? 50 };
}

export function isHfDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'config.json'));
}

export async function loadGenerationModel(path: string, backend: BackendName = 'wasm'): Promise<GenerationModel> {
  if (isHfDir(path))
    throw new InputError('Hugging Face checkpoints are not loaded for generation yet', { file: join(path, 'config.json'), hint: 'the model layer for llama/qwen2/qwen3 (loadHfModel) has not landed on this branch' });
  await initBackend(backend);
  const { model, sha256 } = loadModel(checkpointFile(path));
  const tok = model.tokenizer;
  return {
    kind: 'reprise-gpt',
    sha256,
    tokenizer: tok,
    template: new CharChatTemplate(tok),
    contextLength: model.cfg.context_length,
    defaults: generationDefaults(path),
    sample: (prompts, s, rows) => sampleBatch(model.params, model.cfg, prompts, s, tok.eosIds, tok.pad, rows),
    dispose: () => disposeModel(model),
  };
}
