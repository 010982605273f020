// Token-level losses: masked cross-entropy for SFT and per-token log-probabilities/entropy for GRPO.

import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../model/kernels/cross-entropy.js';

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
