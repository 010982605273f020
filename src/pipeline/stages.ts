// Stage bookkeeping: each stage's directory is named by the hash of its inputs; a `done.json` marks it
// finished. A stage directory without done.json is a stage in progress (its trainer resumes from there).
// A run locks each stage directory it opens; the lock lives in <work dir>/locks/, so that --force can delete the
// directory and nothing that lists stages/ sees it.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashJson, sha256 } from '../util/hash.js';
import { readJson, writeJsonAtomic } from '../util/fs.js';
import { acquireLock, lockPathOf, type Lock } from '../util/lock.js';

/** Bump when a stage's code changes what it produces, so cached outputs are not reused. */
// sft, grpo 2: AdamW keeps flat moments and sums the gradient norm in another order (last bits of the weights move)
export const STAGE_VERSIONS: Record<string, number> = { datagen: 1, init: 1, sft: 2, grpo: 2, eval: 1 };

/**
 * Bump when the Hugging Face decoder's code (src/model/: decoder, hf-model, vocab-loss, lora) changes what it
 * computes, so stages cached by older code are not reused. Unversioned before 2.
 */
// 2: frozen products as (W xᵀ)ᵀ (last bits of logits and gradients move); the loss over the vocabulary in chunks of rows
export const HF_MODEL_VERSION = 2;

/** The base model's stage inputs for a Hugging Face checkpoint, with the model code's version: SFT, GRPO and eval stages chain from its key. */
export function hfInitInputs(model: unknown, weightsSha256: string, onBackend: { backend?: string }): Record<string, unknown> {
  return { model, weights: weightsSha256, hf_model: HF_MODEL_VERSION, ...onBackend };
}

/**
 * A training stage's placement in its key: the accelerate config's contents, not only its path (editing the file —
 * processes, FSDP, mixed precision — must not reuse a stage trained under the old settings).
 */
export function placementInputs(cfg: { accelerate_config?: string }): Record<string, unknown> {
  if (!cfg.accelerate_config) return {};
  return { accelerate_config_sha256: sha256(readFileSync(resolve(cfg.accelerate_config))) };
}

/** The code that produced a stage: its stage version (in the key) and the commit of Reprise's checkout. */
export interface StageCode {
  version: number;
  git_commit: string | null;
  git_dirty: boolean | null;
}

export interface StageDone {
  stage: string;
  key: string;
  /** Absent in stages finished before it was recorded. */
  code?: StageCode;
  wall_s: number;
  finished_at: string;
  outputs: Record<string, unknown>;
}

export interface Stage {
  name: string;
  kind: string;
  key: string;
  dir: string;
  done?: StageDone;
  lock: Lock;
}

/** Opens (and locks, until the caller releases it) a stage's directory; `force` empties it first. */
export async function openStage(workDir: string, name: string, kind: string, inputs: unknown, force: boolean): Promise<Stage> {
  const key = hashJson({ kind, version: STAGE_VERSIONS[kind], inputs });
  const dir = join(workDir, 'stages', `${name}-${key.slice(0, 16)}`);
  const lock = await acquireLock(lockPathOf(join(workDir, 'locks', `${name}-${key.slice(0, 16)}`)), `stage directory ${dir}`);
  if (force && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'done.json');
  return { name, kind, key, dir, lock, done: existsSync(marker) ? readJson<StageDone>(marker) : undefined };
}

export function finishStage(stage: Stage, wall_s: number, outputs: Record<string, unknown>, code?: StageCode): StageDone {
  const done: StageDone = { stage: stage.name, key: stage.key, ...(code ? { code } : {}), wall_s, finished_at: new Date().toISOString(), outputs };
  writeJsonAtomic(join(stage.dir, 'done.json'), done);
  stage.done = done;
  return done;
}
