// A Hugging Face decoder (Qwen2-shaped, tiny, random) with LoRA on webgpu (Dawn; on a CPU machine its OpenGL backend
// over llvmpipe), where the fused RMSNorm, RoPE, cross-entropy and AdamW kernels run: the same logits, LoRA
// gradients (the loss as trainSft takes it, over the vocabulary in chunks) and greedy tokens as on cpu.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { findWebGpuAdapter, initBackend } from '../../src/model/backend.js';
import { loadHfModel } from '../../src/model/hf-model.js';
import { attachLora, LoraSettings } from '../../src/model/lora.js';
import { sftLoss } from '../../src/train/losses.js';
import { sampleBatch } from '../../src/inference/sample.js';
import { Rng } from '../../src/util/rng.js';
import { TINY, writeSynthetic } from './hf-synth.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
const gpu = await findWebGpuAdapter();
const dir = writeSynthetic({ ...TINY, model_type: 'qwen2' }, { seed: 'webgpu-hf' });

async function run(backend: 'cpu' | 'webgpu') {
  await initBackend(backend);
  const m = await loadHfModel(dir, { backend });
  attachLora(m, LoraSettings.parse({ r: 4 }), 1);
  // lora_B starts at zero, which would hide the adapters' path: give it values
  for (const [k, v] of Object.entries(m.trainable)) if (k.endsWith('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 3));
  const ids = tf.tensor2d([[1, 5, 9, 13, 2, 7], [4, 4, 8, 15, 16, 23]], [2, 6], 'int32');
  const targets = tf.tensor1d([5, 9, 13, 2, 7, 0, 4, 8, 15, 16, 23, 42], 'int32');
  const mask = tf.tensor1d([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
  const logits = await m.forward(ids).data();
  const { value, grads } = tf.variableGrads(() => sftLoss(m, ids, targets, mask, 1), Object.values(m.trainable));
  const g: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(m.trainable)) g[k] = (await grads[v.name].data()) as Float32Array;
  const tokens = (await sampleBatch(m, [[1, 2, 3], [7]], { temperature: 0, top_p: 1, max_tokens: 6 }, [], 0, new Rng(1))).map((r) => r.tokens);
  const loss = (await value.data())[0];
  m.dispose();
  return { logits, loss, g, tokens };
}

const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) [num, den] = [num + (a[i] - b[i]) ** 2, den + b[i] ** 2];
  return Math.sqrt(num / den);
};

describe.skipIf(typeof gpu === 'string')(`Hugging Face decoder with LoRA on webgpu${typeof gpu === 'string' ? ` (skipped: ${gpu})` : ''}`, () => {
  it('gives the logits, loss, LoRA gradients and greedy tokens of cpu', async () => {
    const cpu = await run('cpu');
    const webgpu = await run('webgpu');
    expect(rel(webgpu.logits, cpu.logits)).toBeLessThan(1e-5);
    expect(Math.abs(webgpu.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    expect(Object.keys(webgpu.g).length).toBe(Object.keys(cpu.g).length);
    for (const k of Object.keys(cpu.g)) expect(rel(webgpu.g[k], cpu.g[k]), k).toBeLessThan(1e-4);
    expect(webgpu.tokens).toEqual(cpu.tokens);
  }, 120_000);
});
