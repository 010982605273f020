// One policy-gradient pass of GRPO over a sampled batch, in micro-batches whose gradients are summed, so the
// memory of a step is bounded by micro_batch_size rows whatever the number of completions (the loss weights
// are normalised over the whole batch, so the summed gradient equals the full-batch one).

import * as tf from '@tensorflow/tfjs';
import type { CausalLM, TokenScores } from '../model/causal-lm.js';
import type { PackedBatch } from './batch.js';
import { targetScores } from './losses.js';
import { clippedSurrogate, k3 } from './grpo-loss.js';

interface Rows {
  r0: number;
  r1: number;
}

function microBatches(S: number, size: number): Rows[] {
  const out: Rows[] = [];
  for (let r0 = 0; r0 < S; r0 += size) out.push({ r0, r1: Math.min(S, r0 + size) });
  return out;
}

/** log π (and the entropy) of rows r0..r1's tokens [n*T], at the sampling temperature (as TRL does). */
function scoresOf(lm: CausalLM, b: PackedBatch, { r0, r1 }: Rows, temperature: number, o: { seed?: number; entropy?: boolean } = {}): TokenScores {
  const ids = tf.tensor2d(b.inputs.subarray(r0 * b.T, r1 * b.T), [r1 - r0, b.T], 'int32');
  return targetScores(lm, ids, tf.tensor1d(b.targets.subarray(r0 * b.T, r1 * b.T), 'int32'), { train: o.seed !== undefined, seed: o.seed, temperature, entropy: o.entropy });
}

/** log π(token) at every position [S*T] without gradients, micro-batch by micro-batch. */
export async function batchLogprobs(lm: CausalLM, b: PackedBatch, temperature: number, microBatch: number): Promise<Float32Array> {
  const out = new Float32Array(b.B * b.T);
  for (const mb of microBatches(b.B, microBatch)) {
    const lp = tf.tidy(() => scoresOf(lm, b, mb, temperature).logp);
    out.set((await lp.data()) as Float32Array, mb.r0 * b.T);
    lp.dispose();
  }
  return out;
}

/** The same values with a zero gradient (π_old as π_θ detached), read back by nobody: no synchronous read needed. */
const detach = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as never) as unknown as (x: tf.Tensor) => tf.Tensor;

export interface PassInputs {
  lm: CausalLM;
  batch: PackedBatch;
  /** Advantage of each token's sequence [S*T]. */
  adv: Float32Array;
  /** Loss weight of each token [S*T] (tokenWeights over the whole batch). */
  weights: Float32Array;
  temperature: number;
  /** π_old per token; absent: the current policy, detached (one pass per batch). */
  oldLogp?: Float32Array;
  refLogp?: Float32Array;
  epsLow: number;
  epsHigh: number;
  beta: number;
  microBatch: number;
  /** Dropout masks (LoRA) of this pass are drawn from dropoutSeed + the micro-batch's first row. */
  dropoutSeed: number;
}

export interface PassResult {
  loss: number;
  /** Summed gradients, keyed by variable name (as tf.variableGrads returns them); the caller disposes them. */
  grads: Record<string, tf.Tensor>;
  ratio: Float32Array;
  /** Σ over completion tokens of the entropy and of the k3 KL to the reference. */
  entropySum: number;
  klSum: number;
}

export async function policyGradientPass(x: PassInputs): Promise<PassResult> {
  const { batch: b } = x;
  const ratio = new Float32Array(b.B * b.T);
  const grads: Record<string, tf.Tensor> = {};
  let loss = 0;
  let entropySum = 0;
  let klSum = 0;
  for (const mb of microBatches(b.B, x.microBatch)) {
    const span = [mb.r0 * b.T, mb.r1 * b.T] as const;
    const mask = b.mask.subarray(...span);
    // read back after the gradients (webgpu in Node has no synchronous read): kept out of variableGrads' scope
    let stats: tf.Tensor[] = [];
    const { value, grads: g } = tf.variableGrads(() => {
      const { logp, entropy } = scoresOf(x.lm, b, mb, x.temperature, { seed: x.dropoutSeed + mb.r0, entropy: true });
      const old = x.oldLogp ? tf.tensor1d(x.oldLogp.subarray(...span)) : (detach(logp) as tf.Tensor1D);
      const ref = x.refLogp ? tf.tensor1d(x.refLogp.subarray(...span)) : undefined;
      const m = tf.tensor1d(mask);
      stats = [tf.exp(logp.sub(old)), tf.sum(entropy!.mul(m)), ...(ref ? [tf.sum(k3(logp, ref).mul(m))] : [])].map((t) => tf.keep(t));
      return clippedSurrogate({ logp, oldLogp: old, refLogp: ref, adv: tf.tensor1d(x.adv.subarray(...span)), weights: tf.tensor1d(x.weights.subarray(...span)), epsLow: x.epsLow, epsHigh: x.epsHigh, beta: x.beta });
    }, Object.values(x.lm.trainable));
    const [r, ent, kl] = await Promise.all(stats.map((t) => t.data()));
    ratio.set(r as Float32Array, span[0]);
    entropySum += ent[0];
    if (kl) klSum += kl[0];
    loss += (await value.data())[0];
    tf.dispose([value, ...stats]);
    for (const [k, t] of Object.entries(g)) {
      if (grads[k]) {
        const acc = grads[k].add(t);
        grads[k].dispose();
        t.dispose();
        grads[k] = acc;
      } else grads[k] = t;
    }
  }
  return { loss, grads, ratio, entropySum, klSum };
}
