// Masked softmax cross-entropy with its gradient written out: (softmax − onehot) · mask / Σmask, one pass,
// instead of autodiff through logSoftmax, oneHot, mul and two sums.

import * as tf from '@tensorflow/tfjs';
import { scalar } from './scalars.js';
import { fusedOn } from './fused.js';
import { runFused } from './webgpu-fused.js';

/**
 * Mean negative log-likelihood of targets [N] (int32) under logits [N, V] over positions where mask [N] = 1;
 * the gradient flows to the logits only.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  if (fusedOn()) return fusedCrossEntropy(logits, targets, mask);
  const V = logits.shape[1];
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const onehot = tf.oneHot(targets, V);
    const denom = tf.maximum(tf.sum(mask), scalar(1));
    const logp = tf.logSoftmax(z);
    save([logp, onehot, tf.div(mask, denom)]);
    return {
      value: tf.neg(tf.div(tf.sum(tf.mul(tf.sum(tf.mul(logp, onehot), -1), mask)), denom)),
      gradFunc: (dy: tf.Tensor, [lp, oh, ws]: tf.Tensor[]) => [tf.mul(tf.sub(tf.exp(lp), oh), tf.mul(ws, dy).reshape([-1, 1]))],
    };
  }) as never) as unknown as (z: tf.Tensor) => tf.Tensor;
  return f(logits) as tf.Scalar;
}

/** The same on webgpu with two fused kernels: per-row −log p(target), and the gradient in one pass over the logits. */
function fusedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const denom = tf.maximum(tf.sum(mask), scalar(1));
    const nll = runFused('RepriseCrossEntropyRows', { z, t: targets });
    // targets are saved too: made inside a tf.variableGrads function, they are disposed before the backward pass
    save([z, tf.div(mask, denom), targets]);
    return {
      value: tf.div(tf.sum(tf.mul(nll, mask)), denom),
      gradFunc: (dy: tf.Tensor, [zs, ws, ts]: tf.Tensor[]) => [runFused('RepriseCrossEntropyGrad', { z: zs, t: ts, w: tf.mul(ws, dy) })],
    };
  }) as never) as unknown as (z: tf.Tensor) => tf.Tensor;
  return f(logits) as tf.Scalar;
}
