// The training stages of a recipe as the pipeline calls them: the untrained base model, SFT and GRPO,
// each reading its inputs from files and writing model.safetensors into its stage directory.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { hashJson, sha256 } from '../util/hash.js';
import * as tf from '@tensorflow/tfjs';
import type { Recipe } from '../config/recipe.js';
import { backendInfo, initBackend } from '../model/backend.js';
import { DEFAULT_SPECIALS, type ChatMessage, type TokenizerSpec } from '../model/tokenizer.js';
import { createModel, disposeModel, gptLM, loadModel, saveModel } from '../model/lm.js';
import { gptPolicy } from '../model/policy.js';
import { countParams } from '../model/gpt.js';
import { trainSft } from './sft.js';
import { trainGrpo, type GrpoPrompt } from './grpo.js';
import { readJsonl } from '../util/fs.js';

export const SPECIALS = DEFAULT_SPECIALS;

export async function startBackend(name: Recipe['backend']): Promise<{ backend: string }> {
  await initBackend(name);
  const b = backendInfo();
  return { backend: b.threads ? `${b.name} (${b.threads} threads)` : b.name };
}

/** sha256 over the safetensors files of a Hugging Face directory (name and content hash of each, sorted). */
export function hfWeightsSha256(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  if (!files.length) throw new InputError('no safetensors weights in the directory', { file: dir, field: 'model.path' });
  return hashJson(files.map((f) => [f, sha256(readFileSync(join(dir, f)))]));
}

export async function initStage(recipe: Recipe, spec: TokenizerSpec, dir: string): Promise<Record<string, unknown>> {
  if (!('d_model' in recipe.model)) throw new InputError('only a from-scratch model has an init stage', { field: 'model' });
  const m = createModel(recipe.model, spec, recipe.seed);
  const sha = await saveModel(join(dir, 'model.safetensors'), m);
  const params = countParams(m.params);
  disposeModel(m);
  return { sha256: sha, params };
}

export async function sftStage(recipe: Recipe, initPath: string, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { model } = loadModel(initPath);
  const conversations = readJsonl<{ messages: ChatMessage[] }>(dataPath);
  const r = await trainSft({ model: gptPolicy(model), conversations, cfg: recipe.sft!, seed: recipe.seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  const sha = await saveModel(join(dir, 'model.safetensors'), model);
  disposeModel(model);
  return { sha256: sha, ...r };
}

export async function grpoStage(recipe: Recipe, sftPath: string, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { model } = loadModel(sftPath);
  const reference = recipe.grpo!.beta > 0 ? loadModel(sftPath).model : undefined;
  const prompts = readJsonl<GrpoPrompt>(dataPath).map((r): GrpoPrompt => ({ id: r.id, messages: r.messages, answer: r.answer }));
  const r = await trainGrpo({ model: gptPolicy(model), reference: reference && gptLM(reference), prompts, cfg: recipe.grpo!, seed: recipe.seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  const sha = await saveModel(join(dir, 'model.safetensors'), model);
  disposeModel(model);
  if (reference) disposeModel(reference);
  return { sha256: sha, ...r };
}
