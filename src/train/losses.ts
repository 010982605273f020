// Token-level losses: masked cross-entropy for SFT and per-token log-probabilities/entropy for GRPO, from a model's
// logits, or from its own scores over the vocabulary in row chunks when it has them (Hugging Face decoders).

import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../model/kernels/cross-entropy.js';
import type { CausalLM, ScoreOptions, TokenScores } from '../model/causal-lm.js';

/** log p(target) per position: logits [N, V], targets int32 [N] → [N]. */
export function tokenLogprobs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const V = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  return tf.sum(logp.mul(tf.oneHot(targets, V)), -1) as tf.Tensor1D;
}

/** Mean negative log-likelihood over positions where mask = 1 (the assistant's tokens). */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return softmaxCrossEntropy(logits, targets, mask);
}

/** Entropy of the predictive distribution per position: [N, V] → [N]. */
export function entropy(logits: tf.Tensor2D): tf.Tensor1D {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.exp(logp).mul(logp), -1)) as tf.Tensor1D;
}

/** log p(target) (and the entropy) per position of sequences ids [B, T] with next tokens targets [B*T]. */
export function targetScores(lm: CausalLM, ids: tf.Tensor2D, targets: tf.Tensor1D, o: ScoreOptions = {}): TokenScores {
  if (lm.targetLogprobs) return lm.targetLogprobs(ids, targets, o);
  const logits = lm.forward(ids, { train: o.train, seed: o.seed });
  const z = o.temperature === undefined || o.temperature === 1 ? logits : (logits.div(o.temperature) as tf.Tensor2D);
  return { logp: tokenLogprobs(z, targets), entropy: o.entropy ? entropy(z) : undefined };
}

/** SFT's loss: the mean negative log-likelihood of the targets where mask [B*T] = 1, dropout on. */
export function sftLoss(lm: CausalLM, ids: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D, seed: number): tf.Scalar {
  if (!lm.targetLogprobs) return maskedCrossEntropy(lm.forward(ids, { train: true, seed }), targets, mask);
  const { logp } = lm.targetLogprobs(ids, targets, { train: true, seed });
  // the ops of softmaxCrossEntropy's value, so a model's loss is the same either way
  return tf.neg(tf.div(tf.sum(tf.mul(logp, mask)), tf.maximum(tf.sum(mask), 1))) as tf.Scalar;
}
