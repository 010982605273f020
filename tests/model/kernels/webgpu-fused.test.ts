// The fused WGSL kernels against the unfused tfjs ops on the same webgpu backend (Dawn; on a CPU machine its OpenGL
// backend over llvmpipe), on random inputs of awkward sizes: values and gradients within a relative error of 1e-5.

import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { findWebGpuAdapter, initBackend } from '../../../src/model/backend.js';
import { layerNorm, rmsNorm } from '../../../src/model/kernels/norm.js';
import { softmaxCrossEntropy } from '../../../src/model/kernels/cross-entropy.js';
import { chunkedTargetLogprobs } from '../../../src/model/vocab-loss.js';
import { attentionProbs, fusedRope, gelu } from '../../../src/model/kernels/activations.js';
import { fusedOn, setFused } from '../../../src/model/kernels/fused.js';
import { variableFrom } from '../../../src/model/gpt.js';
import { AdamW } from '../../../src/train/optim.js';
import { l2RelErr } from '../../rel-err.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
const gpu = await findWebGpuAdapter();
const skip = typeof gpu === 'string' ? gpu : undefined;

/** ‖a − b‖ / ‖b‖ over all elements. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  return l2RelErr(await a.data(), await b.data());
}

/** f's value and its gradients for every input of Σ f(xs)·r, fused and unfused. */
async function bothWays(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], r: tf.Tensor): Promise<void> {
  const run = (fused: boolean) => {
    setFused(fused);
    expect(fusedOn()).toBe(fused);
    return [f(...xs), ...tf.grads((...a: tf.Tensor[]) => tf.sum(f(...a).mul(r)))(xs)];
  };
  const [fused, plain] = [run(true), run(false)];
  for (let i = 0; i < fused.length; i++) expect(await relErr(fused[i], plain[i]), `output ${i}`).toBeLessThanOrEqual(1e-5);
}

afterEach(() => setFused(undefined));

describe.skipIf(skip !== undefined)(`fused WGSL kernels on webgpu${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('layerNorm over 300 features (more than a workgroup) agrees with the unfused ops, gradients included', async () => {
    await initBackend('webgpu');
    const x = tf.randomNormal([5, 7, 300], 1, 3, 'float32', 1);
    const g = tf.randomNormal([300], 1, 0.3, 'float32', 2);
    const b = tf.randomNormal([300], 0, 0.3, 'float32', 3);
    await bothWays((a, c, d) => layerNorm(a, c, d), [x, g, b], tf.randomNormal([5, 7, 300], 0, 1, 'float32', 4));
  });

  it('rmsNorm over 12 features of 40 rows agrees with the unfused ops, gradients included', async () => {
    await initBackend('webgpu');
    const x = tf.randomNormal([40, 12], 0, 5, 'float32', 5);
    const w = tf.randomNormal([12], 1, 0.3, 'float32', 6);
    await bothWays((a, c) => rmsNorm(a, c, 1e-6), [x, w], tf.randomNormal([40, 12], 0, 1, 'float32', 7));
  });

  it('log p of the targets over a 1000-token vocabulary in chunks of 5 rows (temperature 0.7) agrees with the unfused ops, its gradient for the hidden states included', async () => {
    await initBackend('webgpu');
    const h = tf.randomNormal([13, 24], 0, 1, 'float32', 30);
    const w = tf.randomNormal([1000, 24], 0, 0.5, 'float32', 31) as tf.Tensor2D;
    const t = tf.tensor1d(Int32Array.from({ length: 13 }, (_, i) => (i * 277) % 1000), 'int32');
    await bothWays((a) => chunkedTargetLogprobs(a as tf.Tensor2D, w, t, { temperature: 0.7, rows: 5 }).logp, [h], tf.randomNormal([13], 0, 1, 'float32', 32));
  });

  it('softmaxCrossEntropy over a 1000-token vocabulary, masked, agrees with the unfused ops and its gradient', async () => {
    await initBackend('webgpu');
    const z = tf.randomNormal([37, 1000], 0, 6, 'float32', 8) as tf.Tensor2D;
    const t = tf.randomUniform([37], 0, 1000, 'int32', 9) as tf.Tensor1D;
    const m = tf.tensor1d(Array.from({ length: 37 }, (_, i) => (i % 5 === 2 ? 0 : 1)));
    await bothWays((a) => softmaxCrossEntropy(a as tf.Tensor2D, t, m), [z], tf.scalar(0.7));
  });

  it('gelu (x·sigmoid(1.702x)) agrees with the unfused ops, gradient included', async () => {
    await initBackend('webgpu');
    const x = tf.randomNormal([9, 70], 0, 4, 'float32', 13);
    await bothWays((a) => gelu(a), [x], tf.randomNormal([9, 70], 0, 1, 'float32', 14));
  });

  it('attention probabilities with a per-row padding bias and with a shared causal bias agree with the unfused ops, gradient included', async () => {
    await initBackend('webgpu');
    const [B, H, T, Tk] = [2, 3, 5, 7];
    const causal = new Float32Array(T * Tk).map((_, k) => (k % Tk > Math.floor(k / Tk) + 2 ? -1e9 : 0));
    const padded = new Float32Array(B * T * Tk).map((_, k) => (k % Tk < Math.floor(k / (T * Tk)) * 2 ? -1e9 : 0));
    const scores = tf.randomNormal([B * H, T, Tk], 0, 3, 'float32', 15);
    const r = tf.randomNormal([B * H, T, Tk], 0, 1, 'float32', 16);
    for (const bias of [tf.tensor4d(causal, [1, 1, T, Tk]), tf.tensor4d(padded, [B, 1, T, Tk])]) await bothWays((s) => attentionProbs(s as tf.Tensor3D, 0.37, bias, B, H), [scores], r);
  });

  it('rotary embedding agrees with x·cos + rotate_half(x)·sin, gradient included', async () => {
    await initBackend('webgpu');
    const [N, heads, dim] = [6, 3, 8];
    const cos = tf.randomUniform([N, 1, dim], -1, 1, 'float32', 17);
    const sin = tf.randomUniform([N, 1, dim], -1, 1, 'float32', 18);
    const plain = (x: tf.Tensor) => {
      const [x1, x2] = tf.split(x, 2, 2);
      return x.mul(cos).add(tf.concat([tf.neg(x2), x1], 2).mul(sin));
    };
    const rope = (x: tf.Tensor) => fusedRope(x as tf.Tensor3D, cos, sin) ?? plain(x);
    await bothWays(rope, [tf.randomNormal([N, heads, dim], 0, 2, 'float32', 19)], tf.randomNormal([N, heads, dim], 0, 1, 'float32', 20));
  });

  it('AdamW (clipped, with weight decay) leaves the same parameters and moments after three steps', async () => {
    await initBackend('webgpu');
    const trained = async (fused: boolean) => {
      setFused(fused);
      const params = { w: variableFrom(tf.randomNormal([33, 17], 0, 1, 'float32', 10)), b: variableFrom(tf.randomNormal([17], 0, 1, 'float32', 11)) };
      const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1, grad_clip: 1 });
      for (let s = 0; s < 3; s++) {
        const grads = { [params.w.name]: tf.randomNormal([33, 17], 0, 2, 'float32', 20 + s), [params.b.name]: tf.randomNormal([17], 0, 2, 'float32', 30 + s) };
        expect(await opt.apply(grads, 1e-2)).toBeGreaterThan(1); // the clip is active
        tf.dispose(Object.values(grads));
      }
      return { params, moments: opt.tensors() };
    };
    const [a, b] = [await trained(true), await trained(false)];
    for (const k of ['w', 'b'] as const) expect(await relErr(a.params[k], b.params[k]), k).toBeLessThanOrEqual(1e-5);
    for (const k of Object.keys(b.moments)) expect(await relErr(a.moments[k], b.moments[k]), k).toBeLessThanOrEqual(1e-5);
  });

  it('REPRISE_FUSED=0 turns the kernels off, and they are never used off webgpu', async () => {
    await initBackend('webgpu');
    process.env.REPRISE_FUSED = '0';
    expect(fusedOn()).toBe(false);
    delete process.env.REPRISE_FUSED;
    expect(fusedOn()).toBe(true);
    await initBackend('cpu');
    expect(fusedOn()).toBe(false);
  });
});
