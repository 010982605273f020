// The stages that need tfjs (init, SFT, GRPO, eval), loaded only when a run reaches them.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Recipe } from '../config/recipe.js';
import { initBackend } from '../model/backend.js';
import { DEFAULT_SPECIALS, type ChatMessage, type TokenizerSpec } from '../model/tokenizer.js';
import { createModel, disposeModel, loadModel, saveModel } from '../model/lm.js';
import { countParams } from '../model/gpt.js';
import { trainSft } from '../train/sft.js';
import { trainGrpo, type GrpoPrompt } from '../train/grpo.js';
import { evalLocal } from '../eval/run-local.js';
import { modelMetrics, perProblem } from '../eval/score.js';
import type { ModelResult } from '../eval/results.js';
import { readJsonl, writeJsonAtomic } from '../util/fs.js';
import type { DatasetRow } from '../../datagen/types.js';
import type { Stage } from './stages.js';

export const SPECIALS = DEFAULT_SPECIALS;

export async function startBackend(name: Recipe['backend']): Promise<{ backend: string }> {
  await initBackend(name);
  return { backend: tf.getBackend() };
}

export async function initStage(recipe: Recipe, spec: TokenizerSpec, dir: string): Promise<Record<string, unknown>> {
  const m = createModel(recipe.model, spec, recipe.seed);
  const sha = await saveModel(join(dir, 'model.safetensors'), m);
  const params = countParams(m.params);
  disposeModel(m);
  return { sha256: sha, params };
}

export async function sftStage(recipe: Recipe, initPath: string, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { model } = loadModel(initPath);
  const conversations = readJsonl<{ messages: ChatMessage[] }>(dataPath);
  const r = await trainSft({ model, conversations, cfg: recipe.sft, seed: recipe.seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  const sha = await saveModel(join(dir, 'model.safetensors'), model);
  disposeModel(model);
  return { sha256: sha, ...r };
}

export async function grpoStage(recipe: Recipe, sftPath: string, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { model } = loadModel(sftPath);
  const reference = recipe.grpo.beta > 0 ? loadModel(sftPath).model : undefined;
  const prompts = readJsonl<DatasetRow>(dataPath).map((r): GrpoPrompt => ({ id: r.id, messages: r.messages, answer: r.answer }));
  const r = await trainGrpo({ model, reference, prompts, cfg: recipe.grpo, seed: recipe.seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  const sha = await saveModel(join(dir, 'model.safetensors'), model);
  disposeModel(model);
  if (reference) disposeModel(reference);
  return { sha256: sha, ...r };
}

export async function evalStage(recipe: Recipe, name: string, src: Stage, ckpt: string, rows: DatasetRow[], dir: string): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const { model, sha256 } = loadModel(ckpt);
  const problems = rows.map((r) => ({ id: r.id, messages: r.messages, answer: r.answer }));
  const samplesFile = join(dir, 'samples.jsonl');
  const r = await evalLocal({ model, problems, cfg: recipe.eval, seed: recipe.seed, samplesFile, label: name });
  disposeModel(model);
  const n = recipe.eval.n_samples;
  const scores = perProblem(r.records, problems.map((p) => p.id), n);
  const sampled = r.records.filter((x) => x.sample >= 0);
  const result: ModelResult = {
    model: name,
    stage: src.name,
    checkpoint_hash: sha256,
    bench: `${recipe.name}/test`,
    n_problems: problems.length,
    n_samples: n,
    sampling: { temperature: recipe.eval.temperature, top_p: recipe.eval.top_p, max_tokens: recipe.eval.max_tokens, seed: recipe.seed },
    metrics: modelMetrics(scores, n, `${recipe.seed}/${name}`, recipe.eval.bootstrap_resamples),
    counts: {
      samples: sampled.length,
      format_ok: sampled.filter((x) => x.format_ok).length,
      unjudged: sampled.filter((x) => x.correct === null).length,
      truncated: sampled.filter((x) => !x.finished).length,
    },
    mean_completion_tokens: sampled.reduce((a, x) => a + x.tokens, 0) / Math.max(1, sampled.length),
    samples_file: `samples/${name}.jsonl`,
    wall_s: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(dir, 'metrics.json'), result);
  return { result, sample_tokens_per_s: r.sampled_tokens / Math.max(r.sample_s, 1e-9) };
}
