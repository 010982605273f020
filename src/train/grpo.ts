// GRPO from a checkpoint. One step reads top to bottom: sample G completions per prompt → rewards →
// group-relative advantages → clipped surrogate (+ β·KL to the reference) for ppo_epochs passes → log →
// checkpoint. Loss variants (grpo, bnpo, dapo, dr_grpo) are settings; see grpo-loss.ts for how each departs
// from the paper. The sampling randomness of step s comes from (seed, s), so a resumed run repeats it.

import * as tf from '@tensorflow/tfjs';
import type { Policy } from '../model/policy.js';
import type { CausalLM } from '../model/causal-lm.js';
import type { GrpoConfig } from '../config/recipe.js';
import { sampleBatch } from '../inference/sample.js';
import { rewardFnsOf, rewardRow, scoreSamples } from './grpo-rewards.js';
import { AdamW } from './optim.js';
import { lrAt } from './schedule.js';
import { packBatch } from './batch.js';
import { clipFraction, groupAdvantages, tokenWeights } from './grpo-loss.js';
import { batchLogprobs, policyGradientPass } from './grpo-pass.js';
import { FiniteGuard, resumeFrom, saveCheckpoint } from './checkpointing.js';
import { Rng, dropoutSeed } from '../util/rng.js';
import { appendJsonl } from '../util/fs.js';
import { Progress } from '../util/progress.js';
import type { ChatMessage } from '../model/tokenizer.js';

export interface GrpoPrompt {
  id: string;
  messages: ChatMessage[];
  answer: string;
}

export interface GrpoRun {
  model: Policy;
  /** The frozen reference policy for the KL term (needed when beta > 0). */
  reference?: CausalLM;
  prompts: GrpoPrompt[];
  cfg: GrpoConfig;
  seed: number;
  ckpt: string;
  logFile: string;
  progressLog?: string;
}

export async function trainGrpo(run: GrpoRun): Promise<{ steps: number; train_s: number; sample_tokens_per_s: number }> {
  const { model, cfg } = run;
  const { lm, codec } = model;
  const G = cfg.group_size;
  const rewardFns = rewardFnsOf(cfg);
  const opt = new AdamW(lm.trainable, { beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weight_decay: cfg.weight_decay, grad_clip: cfg.grad_clip, kind: cfg.optimizer });
  const resumed = resumeFrom(run.ckpt, run.logFile, model, opt);
  const guard = new FiniteGuard('grpo', resumed.step);
  const progress = new Progress({ label: 'grpo', total: cfg.steps, unit: 'steps', logFile: run.progressLog });
  progress.resumeAt(resumed.step);
  const order = new Rng(`grpo-order/${run.seed}`).shuffle([...run.prompts.keys()]);
  const schedule = { lr: cfg.lr, warmup_steps: cfg.warmup_steps, total_steps: cfg.steps, min_lr_ratio: cfg.min_lr_ratio };
  const epsHigh = cfg.epsilon_high ?? cfg.epsilon;
  const t0 = Date.now();
  let sampledTokens = 0;
  let sampleSecs = 0;
  try {
    for (let step = resumed.step; step < cfg.steps; step++) {
      // 1. sample G completions for each of this step's prompts
      const prompts = Array.from({ length: cfg.prompts_per_step }, (_, i) => run.prompts[order[(step * cfg.prompts_per_step + i) % order.length]]);
      const promptIds = prompts.flatMap((p) => Array<number[]>(G).fill(codec.encodePrompt(p.messages)));
      const ts = Date.now();
      const samples = await sampleBatch(lm, promptIds, cfg, codec.eosIds, codec.pad, new Rng(`grpo-sample/${run.seed}/${step}`));
      const stepSampleS = (Date.now() - ts) / 1000;
      sampleSecs += stepSampleS;
      // 2. rewards, per function and weighted total
      const texts = samples.map((s, i) => codec.prefill(prompts[Math.floor(i / G)].messages) + codec.decode(s.tokens));
      const lengths = samples.map((x) => x.tokens.length);
      const finished = samples.map((x) => x.finished);
      const { perFn, total } = await scoreSamples(rewardFns, prompts, G, texts, lengths, finished);
      // 3. group-relative advantages
      const adv = groupAdvantages(total, G, cfg.scale_rewards);
      // 4. the batch: prompt + completion, loss on completion tokens
      const batch = packBatch(promptIds.map((prompt, i) => ({ prompt, completion: samples[i].tokens })), codec.pad, lm.config.max_context);
      const completionTokens = sum(batch.mask);
      sampledTokens += completionTokens;
      const S = batch.B;
      const T = batch.T;
      const advTok = new Float32Array(S * T);
      for (let s = 0; s < S; s++) advTok.fill(adv[s], s * T, (s + 1) * T);
      const weights = tokenWeights(batch.mask, S, T, cfg.loss_type, cfg.max_tokens);
      const mb = cfg.micro_batch_size;
      // with one pass the sampling policy is the current one: π_old is π_θ detached, no extra forward
      const oldLogp = cfg.ppo_epochs > 1 ? await batchLogprobs(lm, batch, cfg.temperature, mb) : undefined;
      const refLogp = cfg.beta > 0 && run.reference ? await batchLogprobs(run.reference, batch, cfg.temperature, mb) : undefined;
      const lr = lrAt(step, schedule);
      let loss = 0;
      let clipFrac = 0;
      let ent = 0;
      let kl = 0;
      let gradNorm = 0;
      // 5. policy-gradient passes over the sampled batch
      for (let epoch = 0; epoch < cfg.ppo_epochs; epoch++) {
        const pass = await policyGradientPass({ lm, batch, adv: advTok, weights, temperature: cfg.temperature, oldLogp, refLogp, epsLow: cfg.epsilon, epsHigh, beta: cfg.beta, microBatch: mb, dropoutSeed: dropoutSeed(run.seed, step * 1000 + epoch) });
        try {
          guard.check(step, { 'the loss': pass.loss });
          const norm = await opt.apply(pass.grads, lr);
          guard.check(step, { 'the gradient norm': norm });
          gradNorm += norm / cfg.ppo_epochs;
        } finally {
          tf.dispose(pass.grads);
        }
        await guard.checkParams(step, opt);
        loss += pass.loss / cfg.ppo_epochs;
        clipFrac += clipFraction(pass.ratio, advTok, batch.mask, cfg.epsilon, epsHigh) / cfg.ppo_epochs;
        if (epoch === 0) {
          ent = pass.entropySum / Math.max(1, completionTokens);
          kl = pass.klSum / Math.max(1, completionTokens);
        }
      }
      // 6. log: mean and std of each reward function, lengths, KL, clipping, entropy
      const row: Record<string, number> = { step, loss, lr, grad_norm: gradNorm, kl, clip_frac: clipFrac, entropy: ent, ...rewardRow(perFn, total, lengths, finished) };
      row.sample_s = stepSampleS;
      row.elapsed_s = resumed.elapsed_s + (Date.now() - t0) / 1000;
      appendJsonl(run.logFile, row);
      progress.update(step + 1, { reward: row['reward/total/mean'], acc: row['reward/accuracy/mean'] ?? NaN, kl });
      if ((step + 1) % cfg.checkpoint_every === 0 || step === cfg.steps - 1) {
        await saveCheckpoint(run.ckpt, model, opt, step + 1, row.elapsed_s);
        guard.kept = step + 1;
      }
    }
  } finally {
    opt.dispose();
  }
  return { steps: cfg.steps, train_s: resumed.elapsed_s + (Date.now() - t0) / 1000, sample_tokens_per_s: sampledTokens / Math.max(sampleSecs, 1e-9) };
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
