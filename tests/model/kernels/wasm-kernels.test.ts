// Our wasm kernels against the `cpu` backend: Slice/SplitV (exact), and on the `blas` backend the OpenBLAS matmul
// and the attention products read from the fused QKV (values and gradients within 1e-5 relative), and a training
// step that repeats to the bit. The blas cases are skipped, saying why, where OpenBLAS or koffi is missing.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/model/backend.js';
import { loadBlas } from '../../../src/model/kernels/wasm-blas.js';
import { forward, initParams, type GptConfig } from '../../../src/model/gpt.js';
import { maskedCrossEntropy } from '../../../src/train/losses.js';
import { gptLM } from '../../../src/model/lm.js';
import { sampleBatch } from '../../../src/inference/sample.js';
import { Rng } from '../../../src/util/rng.js';
import { l2RelErr as relErr } from '../../rel-err.js';

const blas = loadBlas(2);
const noBlas = typeof blas === 'string' ? blas : undefined;

/** Runs f on a backend and returns its outputs as plain arrays with shapes. */
async function on(backend: 'cpu' | 'wasm' | 'blas', f: () => tf.Tensor[]): Promise<{ shape: number[]; data: Float32Array }[]> {
  await initBackend(backend);
  const ts = tf.tidy(f);
  const out = await Promise.all(ts.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
  tf.dispose(ts);
  return out;
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('wasm Slice and SplitV read the heap in place', () => {
  it('give exactly the cpu backend results, contiguous and strided, ranks 1 to 5', async () => {
    const f = () => {
      const x = tf.range(0, 2 * 3 * 4 * 5 * 6).reshape([2, 3, 4, 5, 6]);
      return [
        x.reshape([-1]).slice([7], [100]),
        x.slice([1, 0, 0, 0, 0], [1, 3, 4, 5, 6]),
        x.slice([0, 1, 2, 1, 3], [2, 2, 1, 3, 2]),
        x.reshape([24, 30]).slice([3, 5], [10, 7]),
        ...tf.split(x.reshape([6, 4, 30]), [10, 15, 5], 2),
        ...tf.split(x.reshape([-1]), [100, 620]),
        ...tf.split(x, 3, 1),
      ];
    };
    const [c, w] = [await on('cpu', f), await on('wasm', f)];
    expect(w.map((t) => t.shape)).toEqual(c.map((t) => t.shape));
    for (let i = 0; i < c.length; i++) expect(Array.from(w[i].data), `output ${i}`).toEqual(Array.from(c[i].data));
  });
});

describe.skipIf(noBlas !== undefined)(`blas backend${noBlas ? ` (skipped: ${noBlas})` : ''}`, () => {
  it('matMul with every transpose and batch shape, and sums over leading axes, equal the cpu backend within 1e-5', async () => {
    const f = () => [
      tf.matMul(rand([37, 64], 1), rand([64, 29], 2)),
      tf.matMul(rand([64, 37], 3), rand([64, 29], 4), true, false),
      tf.matMul(rand([37, 64], 5), rand([29, 64], 6), false, true),
      tf.matMul(rand([64, 37], 7), rand([29, 64], 8), true, true),
      tf.matMul(rand([5, 11, 16], 9), rand([5, 16, 13], 10)),
      tf.matMul(rand([5, 11, 16], 11), rand([5, 13, 16], 12), false, true),
      tf.matMul(rand([2, 3, 16, 11], 13), rand([2, 3, 16, 13], 14), true, false),
      tf.matMul(rand([5, 11, 16], 15), rand([1, 16, 13], 16)),
      tf.matMul(rand([1, 11, 16], 17), rand([5, 13, 16], 18), false, true),
      tf.matMul(rand([4, 0], 19), rand([0, 3], 20)),
      tf.matMul(rand([2, 1, 4, 5], 21), rand([1, 3, 5, 6], 22)), // broadcast both ways: the stock kernel
      tf.sum(rand([33, 17], 23), 0),
      tf.sum(rand([4, 5, 6], 24), [0, 1], true),
      tf.sum(rand([4, 5, 6], 25), 1), // not leading: the stock kernel
      tf.sum(rand([7, 9], 26)),
    ];
    const [c, b] = [await on('cpu', f), await on('blas', f)];
    for (let i = 0; i < c.length; i++) {
      expect(b[i].shape, `output ${i}`).toEqual(c[i].shape);
      if (c[i].data.length && c[i].data.some((v) => v !== 0)) expect(relErr(b[i].data, c[i].data), `output ${i}`).toBeLessThanOrEqual(1e-5);
      else expect(Array.from(b[i].data)).toEqual(Array.from(c[i].data));
    }
  });

  it('a GPT loss and every parameter gradient (fused attention) equal the cpu backend within 1e-5', async () => {
    const cfg: GptConfig = { vocab_size: 23, d_model: 32, n_layer: 2, n_head: 4, context_length: 12 };
    const f = () => {
      const p = initParams(cfg, 7);
      const ids = tf.tensor2d(Array.from({ length: 3 * 12 }, (_, i) => (i * 5) % 23), [3, 12], 'int32');
      const targets = tf.tensor1d(Array.from({ length: 36 }, (_, i) => (i * 3 + 1) % 23), 'int32');
      const mask = tf.tensor1d(Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 0 : 1)));
      const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(forward(p, cfg, ids), targets, mask));
      const out = [value, ...Object.keys(p).map((k) => grads[p[k].name])];
      for (const v of Object.values(p)) v.dispose();
      return out;
    };
    const [c, b] = [await on('cpu', f), await on('blas', f)];
    expect(b.length).toBe(2 + 12 * 2 + 2 + 1);
    for (let i = 0; i < c.length; i++) {
      expect(b[i].shape).toEqual(c[i].shape);
      expect(relErr(b[i].data, c[i].data), `output ${i}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('leaves the wasm backend as it was: wasm before and after blas gives the same bits', async () => {
    const cfg: GptConfig = { vocab_size: 30, d_model: 32, n_layer: 1, n_head: 2, context_length: 16 };
    const f = () => {
      const p = initParams(cfg, 5);
      const ids = tf.tensor2d(Array.from({ length: 4 * 16 }, (_, i) => (i * 11) % 30), [4, 16], 'int32');
      const { value, grads } = tf.variableGrads(() => tf.sum(forward(p, cfg, ids).square()) as tf.Scalar);
      const out = [value, ...Object.values(grads)];
      for (const v of Object.values(p)) v.dispose();
      return out;
    };
    const before = await on('wasm', f);
    const blasOut = await on('blas', f);
    const after = await on('wasm', f);
    for (let i = 0; i < before.length; i++) expect(Buffer.from(after[i].data.buffer).equals(Buffer.from(before[i].data.buffer)), `output ${i}`).toBe(true);
    expect(blasOut.some((t, i) => !Buffer.from(t.data.buffer).equals(Buffer.from(before[i].data.buffer)))).toBe(true);
  });

  it('repeats a forward and backward pass to the bit, leaking no tensors', async () => {
    const cfg: GptConfig = { vocab_size: 50, d_model: 64, n_layer: 2, n_head: 4, context_length: 32 };
    const f = () => {
      const p = initParams(cfg, 3);
      const ids = tf.tensor2d(Array.from({ length: 8 * 32 }, (_, i) => (i * 13) % 50), [8, 32], 'int32');
      const { value, grads } = tf.variableGrads(() => tf.sum(forward(p, cfg, ids).square()) as tf.Scalar);
      const out = [value, ...Object.values(grads)];
      for (const v of Object.values(p)) v.dispose();
      return out;
    };
    const x = await on('blas', f);
    const before = tf.memory().numTensors;
    const y = await on('blas', f);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < x.length; i++) expect(Buffer.from(y[i].data.buffer).equals(Buffer.from(x[i].data.buffer)), `output ${i}`).toBe(true);
  });

  it('sampling with the cached-attention kernel gives the tokens and log-probs of the cpu backend (left-padded rows)', async () => {
    const cfg: GptConfig = { vocab_size: 19, d_model: 32, n_layer: 2, n_head: 4, context_length: 40 };
    const prompts = [[1, 2, 3, 4, 5, 6], [7, 8], [9, 10, 11]];
    const run = async (backend: 'cpu' | 'blas') => {
      await initBackend(backend);
      const params = initParams(cfg, 11);
      const out = await sampleBatch(gptLM({ cfg, params }), prompts, { temperature: 1, top_p: 1, max_tokens: 20 }, [], 0, prompts.map((_, i) => new Rng(`s${i}`)));
      for (const v of Object.values(params)) v.dispose();
      return out;
    };
    const [c, b] = [await run('cpu'), await run('blas')];
    for (let i = 0; i < c.length; i++) {
      expect(b[i].tokens).toEqual(c[i].tokens);
      b[i].logprobs.forEach((lp, j) => expect(Math.abs(lp - c[i].logprobs[j]), `row ${i} token ${j}`).toBeLessThan(1e-4));
    }
  });
});
