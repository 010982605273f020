// The hand-written-gradient kernels against the plain tfjs ops they replace, on cpu and on webgpu (Dawn; on a
// CPU machine its OpenGL backend over llvmpipe): values and gradients within a relative error of 1e-5.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { findWebGpuAdapter, initBackend } from '../../../src/model/backend.js';
import { layerNorm, rmsNorm } from '../../../src/model/kernels/norm.js';
import { softmaxCrossEntropy } from '../../../src/model/kernels/cross-entropy.js';
import { scalar } from '../../../src/model/kernels/scalars.js';
import { l2RelErr } from '../../rel-err.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
const gpu = await findWebGpuAdapter();

/** ‖a − b‖ / ‖b‖ over all elements. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  return l2RelErr(await a.data(), await b.data());
}

function plainLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g).add(b);
}
const plainRmsNorm = (x: tf.Tensor, w: tf.Tensor) => x.mul(tf.rsqrt(tf.mean(tf.square(x), -1, true).add(1e-6))).mul(w);
function plainCrossEntropy(z: tf.Tensor2D, t: tf.Tensor1D, m: tf.Tensor1D): tf.Scalar {
  const lp = tf.sum(tf.logSoftmax(z).mul(tf.oneHot(t, z.shape[1])), -1);
  return tf.neg(tf.sum(lp.mul(m)).div(tf.maximum(tf.sum(m), 1))) as tf.Scalar;
}

/** Value and gradients (w.r.t. every input) of loss = Σ f(inputs) · r for a fixed random r. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], r: tf.Tensor) {
  const y = f(...xs);
  const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(f(...a).mul(r)))(xs);
  return [y, ...grads];
}

async function expectAgree(fused: tf.Tensor[], plain: tf.Tensor[]): Promise<void> {
  for (let i = 0; i < fused.length; i++) expect(await relErr(fused[i], plain[i]), `output ${i}`).toBeLessThanOrEqual(1e-5);
}

const backends = [
  { name: 'cpu' as const, skip: undefined },
  { name: 'webgpu' as const, skip: typeof gpu === 'string' ? gpu : undefined },
];

for (const b of backends) {
  describe.skipIf(b.skip !== undefined)(`fused kernels on ${b.name}${b.skip ? ` (skipped: ${b.skip})` : ''}`, () => {
    it('layerNorm equals the moments formula, with its gradients for x, g and b', async () => {
      await initBackend(b.name);
      const x = tf.randomNormal([3, 4, 16], 0.5, 2, 'float32', 1);
      const g = tf.randomNormal([16], 1, 0.3, 'float32', 2);
      const bb = tf.randomNormal([16], 0, 0.3, 'float32', 3);
      const r = tf.randomNormal([3, 4, 16], 0, 1, 'float32', 4);
      await expectAgree(valueAndGrads((a, c, d) => layerNorm(a, c, d), [x, g, bb], r), valueAndGrads(plainLayerNorm, [x, g, bb], r));
    });

    it('rmsNorm equals x·rsqrt(mean(x²)+eps)·w, with its gradients for x and w', async () => {
      await initBackend(b.name);
      const x = tf.randomNormal([5, 2, 8], 0, 3, 'float32', 5);
      const w = tf.randomNormal([8], 1, 0.3, 'float32', 6);
      const r = tf.randomNormal([5, 2, 8], 0, 1, 'float32', 7);
      await expectAgree(valueAndGrads((a, c) => rmsNorm(a, c, 1e-6), [x, w], r), valueAndGrads(plainRmsNorm, [x, w], r));
    });

    it('softmaxCrossEntropy equals the masked mean NLL through logSoftmax, with its gradient for the logits', async () => {
      await initBackend(b.name);
      const z = tf.randomNormal([6, 11], 0, 4, 'float32', 8) as tf.Tensor2D;
      const t = tf.tensor1d([0, 3, 10, 5, 5, 1], 'int32');
      const m = tf.tensor1d([1, 1, 0, 1, 0, 1]);
      const fused = (a: tf.Tensor) => softmaxCrossEntropy(a as tf.Tensor2D, t, m);
      const plain = (a: tf.Tensor) => plainCrossEntropy(a as tf.Tensor2D, t, m);
      const one = tf.scalar(1.7);
      await expectAgree(valueAndGrads(fused, [z], one), valueAndGrads(plain, [z], one));
    });

    it('a fused step leaves no tensor behind once its scalars are cached', async () => {
      await initBackend(b.name);
      const x = tf.randomNormal([4, 8]);
      const g = tf.ones([8]);
      const z = tf.zeros([8]);
      tf.dispose(tf.tidy(() => layerNorm(x, g, z))); // caches eps
      scalar(1);
      const before = tf.memory().numTensors;
      tf.dispose(tf.tidy(() => tf.grads((a: tf.Tensor) => tf.sum(layerNorm(a, g, z)))([x])));
      expect(tf.memory().numTensors).toBe(before);
      const t = tf.tensor1d([1, 2, 3, 4], 'int32');
      const m = tf.ones([4]) as tf.Tensor1D;
      const before2 = tf.memory().numTensors;
      tf.dispose(tf.tidy(() => tf.grads((a: tf.Tensor) => softmaxCrossEntropy(a as tf.Tensor2D, t, m))([x])));
      expect(tf.memory().numTensors).toBe(before2);
    });
  });
}
