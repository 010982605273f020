// Supervised fine-tuning on chat JSONL: next-token cross-entropy on the assistant's tokens only.
// Reads top to bottom: batch → loss → step → log → checkpoint. Resumes from its last checkpoint.

import * as tf from '@tensorflow/tfjs';
import type { Policy } from '../model/policy.js';
import type { ChatMessage } from '../model/tokenizer.js';
import type { SftConfig } from '../config/recipe.js';
import { AdamW } from './optim.js';
import { lrAt } from './schedule.js';
import { sftLoss } from './losses.js';
import { packBatch, type Example } from './batch.js';
import { FiniteGuard, resumeFrom, saveCheckpoint, scalar } from './checkpointing.js';
import { Rng, dropoutSeed } from '../util/rng.js';
import { appendJsonl } from '../util/fs.js';
import { Progress } from '../util/progress.js';

export interface SftRun {
  model: Policy;
  conversations: { messages: ChatMessage[] }[];
  cfg: SftConfig;
  seed: number;
  /** Checkpoint and log paths inside the stage's directory. */
  ckpt: string;
  logFile: string;
  progressLog?: string;
}

/** The example indices of a step: consecutive slices of a fresh seeded permutation per epoch. */
export function batchIndices(step: number, batchSize: number, n: number, seed: number): number[] {
  const out: number[] = [];
  for (let i = step * batchSize; i < (step + 1) * batchSize; i++) {
    const epoch = Math.floor(i / n);
    out.push(epochPermutation(epoch, n, seed)[i % n]);
  }
  return out;
}

const permCache = new Map<string, number[]>();
function epochPermutation(epoch: number, n: number, seed: number): number[] {
  const key = `${seed}/${epoch}/${n}`;
  let p = permCache.get(key);
  if (!p) {
    p = new Rng(`sft-order/${key}`).shuffle([...Array(n).keys()]);
    permCache.clear();
    permCache.set(key, p);
  }
  return p;
}

export async function trainSft(run: SftRun): Promise<{ steps: number; train_s: number; tokens_per_s: number }> {
  const { model, cfg } = run;
  const { lm, codec } = model;
  const examples: Example[] = run.conversations.map((c) => codec.encodeChat(c.messages));
  const opt = new AdamW(lm.trainable, { beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weight_decay: cfg.weight_decay, grad_clip: cfg.grad_clip, kind: cfg.optimizer });
  const resumed = resumeFrom(run.ckpt, run.logFile, model, opt);
  const guard = new FiniteGuard('sft', resumed.step);
  const progress = new Progress({ label: 'sft', total: cfg.steps, unit: 'steps', logFile: run.progressLog });
  progress.resumeAt(resumed.step);
  const t0 = Date.now();
  let tokens = 0;
  const schedule = { lr: cfg.lr, warmup_steps: cfg.warmup_steps, total_steps: cfg.steps, min_lr_ratio: cfg.min_lr_ratio };
  try {
    for (let step = resumed.step; step < cfg.steps; step++) {
      const batch = packBatch(batchIndices(step, cfg.batch_size, examples.length, run.seed).map((i) => examples[i]), codec.pad, lm.config.max_context);
      const { value, grads } = tf.variableGrads(
        () => sftLoss(lm, tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32'), tf.tensor1d(batch.targets, 'int32'), tf.tensor1d(batch.mask), dropoutSeed(run.seed, step)),
        Object.values(lm.trainable),
      );
      const lr = lrAt(step, schedule);
      const loss = await scalar(value);
      let gradNorm: number;
      try {
        guard.check(step, { 'the loss': loss });
        gradNorm = await opt.apply(grads, lr);
      } finally {
        tf.dispose(grads);
      }
      guard.check(step, { 'the gradient norm': gradNorm });
      await guard.checkParams(step, opt);
      tokens += batch.mask.reduce((a, b) => a + b, 0);
      const elapsed = (Date.now() - t0) / 1000;
      if (step % cfg.log_every === 0 || step === cfg.steps - 1) {
        appendJsonl(run.logFile, { step, loss, lr, grad_norm: gradNorm, tokens_per_s: tokens / elapsed, elapsed_s: resumed.elapsed_s + elapsed });
      }
      progress.update(step + 1, { loss, lr });
      if ((step + 1) % cfg.checkpoint_every === 0 || step === cfg.steps - 1) {
        await saveCheckpoint(run.ckpt, model, opt, step + 1, resumed.elapsed_s + elapsed);
        guard.kept = step + 1;
      }
    }
  } finally {
    opt.dispose();
  }
  const train_s = (Date.now() - t0) / 1000;
  return { steps: cfg.steps, train_s: resumed.elapsed_s + train_s, tokens_per_s: tokens / Math.max(train_s, 1e-9) };
}
