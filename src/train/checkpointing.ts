// Resumable training state: the latest checkpoint of a stage (model, optimizer, step) and its log, kept
// consistent so that a run killed at any moment resumes from the last checkpoint without duplicated log rows.

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { Policy } from '../model/policy.js';
import { AdamW } from './optim.js';
import { readJsonlTolerant, writeJsonlAtomic } from '../util/fs.js';
import { NonFiniteError } from '../util/errors.js';

export interface Resumed {
  step: number;
  elapsed_s: number;
}

/** Loads `ckpt` into the model and optimizer when it exists and trims the log to its step; else step 0. */
export function resumeFrom(ckpt: string, logFile: string, policy: Policy, opt: AdamW): Resumed {
  if (!existsSync(ckpt)) {
    writeJsonlAtomic(logFile, []);
    return { step: 0, elapsed_s: 0 };
  }
  const { state, opt: extra } = policy.restore(ckpt);
  const step = Number(state.step);
  opt.load(extra, Number(state.opt_step));
  for (const t of Object.values(extra)) t.dispose();
  const { rows } = readJsonlTolerant<{ step: number }>(logFile);
  writeJsonlAtomic(logFile, rows.filter((r) => r.step < step));
  return { step, elapsed_s: Number(state.elapsed_s ?? 0) };
}

export async function saveCheckpoint(ckpt: string, policy: Policy, opt: AdamW, step: number, elapsed_s: number): Promise<void> {
  const moments = opt.tensors();
  try {
    await policy.saveCheckpoint(ckpt, { step, opt_step: opt.step, elapsed_s }, moments);
  } finally {
    tf.dispose(Object.values(moments));
  }
}

/** Reads and frees a scalar; asynchronously, since webgpu in Node has no synchronous read. */
export async function scalar(t: tf.Tensor): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

/**
 * Stops a stage at its first NaN or infinity, before a checkpoint can hold it. `kept` is the step count of the
 * last checkpoint written (or resumed from).
 */
export class FiniteGuard {
  constructor(private readonly stage: string, public kept: number) {}

  check(step: number, values: Record<string, number>): void {
    for (const [what, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new NonFiniteError(this.stage, step, what, v, this.kept);
  }

  /** After an update: the parameters themselves. */
  async checkParams(step: number, opt: AdamW): Promise<void> {
    if (!(await opt.paramsFinite())) throw new NonFiniteError(this.stage, step, 'a parameter after the update', NaN, this.kept);
  }
}
