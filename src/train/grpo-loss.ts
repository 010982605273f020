// The GRPO objective as small pure pieces: group-relative advantages, per-token weights for each loss
// aggregation, and the clipped surrogate with an optional k3 KL penalty.
//
// Variants are settings of this one loss (each departs from the GRPO paper, Shao et al. 2024, as stated):
//   grpo     — per-sequence token mean, then mean over sequences; advantages scaled by the group std.
//   bnpo     — token mean over the whole batch (no per-sequence normalisation).
//   dapo     — as bnpo, and meant with epsilon_high > epsilon ("clip-higher", Yu et al. 2025).
//   dr_grpo  — token sum divided by (sequences × max_tokens), a constant (Liu et al. 2025); use it with
//              scale_rewards: false, which drops the division by the group std.

import * as tf from '@tensorflow/tfjs';

export type LossType = 'grpo' | 'bnpo' | 'dapo' | 'dr_grpo';

/** A_i = (r_i − mean(group)) / (std(group) + 1e-4), or without the division when scale is false; std is the population std. */
export function groupAdvantages(rewards: readonly number[], groupSize: number, scale: boolean): number[] {
  if (rewards.length % groupSize !== 0) throw new Error(`rewards (${rewards.length}) are not a whole number of groups of ${groupSize}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const grp = rewards.slice(g, g + groupSize);
    const mean = grp.reduce((a, b) => a + b, 0) / groupSize;
    const std = Math.sqrt(grp.reduce((a, b) => a + (b - mean) ** 2, 0) / groupSize);
    for (const r of grp) out.push(scale ? (r - mean) / (std + 1e-4) : r - mean);
  }
  return out;
}

/**
 * Weight of each token in the loss sum, so that loss = Σ w_t · ℓ_t for every aggregation.
 * mask: [S*T] (1 on completion tokens), S sequences of T positions.
 */
export function tokenWeights(mask: Float32Array, S: number, T: number, type: LossType, maxTokens: number): Float32Array {
  const w = new Float32Array(S * T);
  const total = mask.reduce((a, b) => a + b, 0);
  for (let s = 0; s < S; s++) {
    let len = 0;
    for (let t = 0; t < T; t++) len += mask[s * T + t];
    for (let t = 0; t < T; t++) {
      const m = mask[s * T + t];
      if (!m) continue;
      if (type === 'grpo') w[s * T + t] = m / (len * S);
      else if (type === 'dr_grpo') w[s * T + t] = m / (S * maxTokens);
      else w[s * T + t] = m / Math.max(total, 1);
    }
  }
  return w;
}

export interface SurrogateInputs {
  /** log π_θ of each token [N] (differentiable). */
  logp: tf.Tensor1D;
  /** log π_old [N], the policy that sampled. */
  oldLogp: tf.Tensor1D;
  /** log π_ref [N]; ignored when beta = 0. */
  refLogp?: tf.Tensor1D;
  /** Advantage of the token's sequence [N]. */
  adv: tf.Tensor1D;
  /** Loss weights [N] from tokenWeights. */
  weights: tf.Tensor1D;
  epsLow: number;
  epsHigh: number;
  beta: number;
}

/** −min(ρA, clip(ρ, 1−ε_low, 1+ε_high)A) + β·KL_k3, summed with the token weights. Returns the scalar loss. */
export function clippedSurrogate(x: SurrogateInputs): tf.Scalar {
  const ratio = tf.exp(x.logp.sub(x.oldLogp));
  const s1 = ratio.mul(x.adv);
  const s2 = tf.clipByValue(ratio, 1 - x.epsLow, 1 + x.epsHigh).mul(x.adv);
  let perToken = tf.neg(tf.minimum(s1, s2));
  if (x.beta > 0 && x.refLogp) perToken = perToken.add(k3(x.logp, x.refLogp).mul(x.beta));
  return tf.sum(perToken.mul(x.weights)) as tf.Scalar;
}

/** k3 estimator of KL(π_θ ‖ π_ref) per token: exp(ref − logp) − (ref − logp) − 1 ≥ 0. */
export function k3(logp: tf.Tensor1D, refLogp: tf.Tensor1D): tf.Tensor1D {
  const d = refLogp.sub(logp);
  return tf.exp(d).sub(d).sub(1) as tf.Tensor1D;
}

/** Fraction of weighted tokens whose ratio the clip bound binds (the gradient is zero there). */
export function clipFraction(ratio: Float32Array, adv: Float32Array, mask: Float32Array, epsLow: number, epsHigh: number): number {
  let n = 0;
  let clipped = 0;
  for (let i = 0; i < ratio.length; i++) {
    if (!mask[i]) continue;
    n++;
    if ((ratio[i] < 1 - epsLow && adv[i] < 0) || (ratio[i] > 1 + epsHigh && adv[i] > 0)) clipped++;
  }
  return n ? clipped / n : 0;
}
