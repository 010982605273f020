import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, stepChunked, type HfModel } from '../../src/model/hf-model.js';
import { assertFits, forwardParts, kvCacheBytes, layerBytes, prefillChunk, trainStepParts, weightBytes } from '../../src/model/hf-memory.js';
import { WASM_HEAP_BYTES } from '../../src/model/hf-weights.js';
import { attachLora, LoraSettings } from '../../src/model/lora.js';
import { softmaxCrossEntropy } from '../../src/model/kernels/cross-entropy.js';
import { sftLoss } from '../../src/train/losses.js';
import { parseDecoderConfig } from '../../src/model/hf-config.js';
import { lossChunkRows } from '../../src/model/vocab-loss.js';
import { causalBias } from '../../src/model/gpt.js';
import { rangePositions, type CausalLM, type KvCache } from '../../src/model/causal-lm.js';
import { decoderLogits, GRAD_ROW_CHUNK, mmFrozen } from '../../src/model/decoder.js';
import { sampleBatch } from '../../src/inference/sample.js';
import { RepriseError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const FIXTURE = 'tests/fixtures/hf/qwen2';
let m: HfModel;
let held0: number;
beforeAll(async () => {
  await initBackend('wasm');
  const before = tf.memory().numBytes;
  m = await loadHfModel(FIXTURE, { backend: 'wasm' });
  held0 = tf.memory().numBytes - before;
});

const sum = (parts: { bytes: number }[]) => parts.reduce((a, p) => a + p.bytes, 0);
const ids = (B: number, T: number) => tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 350), [B, T], 'int32');

describe('the memory estimate of a Hugging Face decoder', () => {
  it('counts the weights as the bytes the loaded model holds', () => {
    expect(weightBytes(m.decoder)).toBe(held0);
  });

  it('counts the KV cache as the bytes of the cache tensors after a prefill', () => {
    const [B, T] = [3, 10];
    const cache: KvCache = { k: [], v: [] };
    tf.tidy(() => m.step({ ids: ids(B, T), positions: rangePositions(B, T), bias: causalBias(T), cache, lastOnly: true }));
    const bytes = [...cache.k, ...cache.v].reduce((a, t) => a + 4 * t.size, 0);
    tf.dispose([...cache.k, ...cache.v]);
    expect(kvCacheBytes(m.decoder, B, T)).toBe(bytes);
  });

  it("counts the logits as [rows, V] float32 arrays, the last position's only when asked", () => {
    const c = m.decoder;
    const logits = (p: ReturnType<typeof forwardParts>) => p.find((x) => x.what.startsWith('the logits'))!.bytes;
    expect(logits(forwardParts(c, 4, 16))).toBe(2 * 4 * 4 * 16 * c.vocab_size);
    expect(logits(forwardParts(c, 4, 16, { lastOnly: true }))).toBe(2 * 4 * 4 * c.vocab_size);
    expect(logits(forwardParts(c, 4, 16, { logitCopies: 6 }))).toBe(7 * 4 * 4 * 16 * c.vocab_size);
  });

  it('grows the attention part of a layer with the square of the length and the rest linearly', () => {
    const c = m.decoder;
    const scores = (T: number) => 4 * 4 * c.num_attention_heads * T * T;
    const rest = (T: number) => layerBytes(c, 1, T, T) - scores(T);
    expect(rest(64)).toBeCloseTo(2 * rest(32), 6);
    expect(layerBytes(c, 2, 32, 32)).toBe(2 * layerBytes(c, 1, 32, 32));
  });

  it("is within a factor 2 of tfjs' measured peak for a forward pass and a LoRA training step, its loss over the whole logits or in chunks of rows", async () => {
    const [B, T] = [4, 48];
    const x = ids(B, T);
    const heldFwd = tf.memory().numBytes;
    // tf.profile's result is the engine's own record, overwritten by the next profile: read it at once
    const peakFwd = (await tf.profile(() => tf.tidy(() => void m.forward(x).dataSync()))).peakBytes - heldFwd;
    const estFwd = sum(forwardParts(m.decoder, B, T, { logitCopies: 1 }));
    const lm = await loadHfModel(FIXTURE, { backend: 'wasm' });
    attachLora(lm, LoraSettings.parse({ r: 4, lora_alpha: 8 }), 1);
    const params = Object.values(lm.trainable).reduce((a, v) => a + v.size, 0);
    const targets = tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => (i * 11) % 350), 'int32');
    const mask = tf.ones([B * T]) as tf.Tensor1D;
    const peakOf = async (loss: () => tf.Scalar) => {
      const held = tf.memory().numBytes;
      return (await tf.profile(() => {
        const { value, grads } = tf.variableGrads(loss, Object.values(lm.trainable));
        tf.dispose([value, ...Object.values(grads)]);
      })).peakBytes - held;
    };
    const peakTrain = await peakOf(() => softmaxCrossEntropy(lm.forward(x, { train: true }), targets, mask));
    const rows = 16;
    const peakChunked = await peakOf(() => sftLoss({ ...lm, config: lm.config, trainable: lm.trainable, forward: (i, o) => lm.forward(i, o), step: (s) => lm.step(s), dispose: () => undefined, targetLogprobs: (i, t, o) => lm.targetLogprobs(i, t, { ...o, rows }) }, x, targets, mask, 1));
    const noMoments = 2 * 4 * params; // Adam's moments are not part of this step
    const estTrain = sum(trainStepParts(lm.decoder, B, T, { rank: 4, params })) - noMoments;
    const estChunked = sum(trainStepParts(lm.decoder, B, T, { rank: 4, params, lossRows: rows })) - noMoments;
    lm.dispose();
    tf.dispose([x, targets, mask]);
    for (const [est, peak] of [
      [estFwd, peakFwd],
      [estTrain, peakTrain],
      [estChunked, peakChunked],
    ]) {
      expect(est / peak).toBeGreaterThan(0.5);
      expect(est / peak).toBeLessThan(2);
    }
  });

  it('refuses what does not fit with each part, its size, and what to lower', () => {
    expect(() => assertFits('a forward pass on 8 × 4096 tokens', forwardParts(m.decoder, 8, 4096), 'lower the batch size', 3 * 2 ** 30)).toThrowErrorMatchingInlineSnapshot(`
      [RepriseError: a forward pass on 8 × 4096 tokens needs about 11.38 GiB (tensors already held (weights, caches): 3.00 GiB; one layer's activations (8 × 4096 tokens attending to 4096): 8.15 GiB; the hidden states of 2 layers: 0.02 GiB; the logits [32768, 360] and the head's product: 0.09 GiB; headroom for the heap's fragmentation: 0.13 GiB) but the wasm heap holds 4.00 GiB
        hint: lower the batch size]
    `);
    expect(() => assertFits('a small step', forwardParts(m.decoder, 1, 4), 'x', 0)).not.toThrow();
  });

  it('refuses a forward pass that would overflow the wasm heap before allocating it, and the model still works', () => {
    const T = 6000;
    expect(sum(forwardParts(m.decoder, 16, T)) > WASM_HEAP_BYTES).toBe(true);
    const x = ids(16, T);
    const n = tf.memory().numTensors;
    try {
      m.forward(x);
      expect.unreachable();
    } catch (e) {
      expect((e as RepriseError).code).toBe('E_MEMORY');
      expect((e as Error).message).toContain('a forward pass on 16 × 6000 tokens needs about');
    }
    expect(tf.memory().numTensors).toBe(n);
    const t = tf.zeros([16 * T], 'int32') as tf.Tensor1D;
    expect(() => m.targetLogprobs(x, t, { train: true })).toThrow(/a training step on 16 × 6000 tokens needs about .* the loss over the vocabulary in chunks of/);
    expect(tf.memory().numTensors).toBe(n + 1);
    tf.dispose([x, t]);
    expect(tf.tidy(() => m.forward(ids(1, 4)).shape)).toEqual([4, m.config.vocab_size]);
  });
});

describe('a training step', () => {
  it('makes no copy of the embedding table (a gather on the tape would save a clone of it, and wasm clones copy)', async () => {
    const lm = await loadHfModel(FIXTURE, { backend: 'wasm' });
    attachLora(lm, LoraSettings.parse({ r: 4, lora_alpha: 8 }), 1);
    const [B, T] = [2, 8];
    const x = ids(B, T);
    const targets = tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => (i * 11) % 350), 'int32');
    const mask = tf.ones([B * T]) as tf.Tensor1D;
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => sftLoss(lm, x, targets, mask, 1), Object.values(lm.trainable));
      tf.dispose([value, ...Object.values(grads)]);
    });
    const table = lm.weights.embed.shape.join();
    expect(info.kernels.length).toBeGreaterThan(100);
    expect(info.kernels.filter((k) => k.outputShapes.some((s) => s?.join() === table)).map((k) => k.name)).toEqual([]);
    lm.dispose();
    tf.dispose([x, targets, mask]);
  });
});

describe('a LoRA SFT step of the Qwen2.5-0.5B shape (vocabulary 151,936)', () => {
  const qwen = parseDecoderConfig({ model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: true, rope_theta: 1000000 }, 'config.json');
  const lora = { rank: 8, params: 4_399_104 }; // r 8 on every projection of 24 layers
  const fits = (B: number, T: number, lossRows?: number) => {
    try {
      assertFits(`a training step on ${B} × ${T} tokens`, trainStepParts(qwen, B, T, { ...lora, lossRows }), 'lower', weightBytes(qwen), WASM_HEAP_BYTES);
      return true;
    } catch (e) {
      expect((e as RepriseError).code).toBe('E_MEMORY');
      return false;
    }
  };
  const rows = lossChunkRows(qwen.vocab_size, 32 * 2 ** 20);

  it('fits the wasm heap at 1 × 512 and 2 × 512 tokens with the loss in chunks of rows, and did not with it over the whole logits', () => {
    expect(rows).toBe(55);
    expect([fits(1, 512, rows), fits(2, 512, rows)]).toEqual([true, true]);
    expect([fits(1, 64), fits(1, 512)]).toEqual([true, false]);
  });

  // 1 × 1024 ran once (bench/hf-sft-bench.ts, case chunked:1x1024): its tensors peaked at 3.87 GiB and the heap reached its 4 GiB cap
  it('is still refused where the layer activations overrun the heap (1 × 1024, 4 × 512, 1 × 2048 tokens)', () => {
    expect([fits(1, 1024, rows), fits(4, 512, rows), fits(1, 2048, rows)]).toEqual([false, false, false]);
  });
});

describe('a training step with gradient checkpointing', () => {
  it('gives the gradients of the plain backward pass, LoRA dropout masks included', async () => {
    const [B, T] = [2, 12];
    for (const dropout of [0, 0.3]) {
      const lm = await loadHfModel(FIXTURE, { backend: 'wasm' });
      attachLora(lm, LoraSettings.parse({ r: 4, lora_alpha: 8, lora_dropout: dropout }), 1);
      const rng = new Rng('b');
      for (const [k, v] of Object.entries(lm.trainable)) if (k.endsWith('lora_B')) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal()), v.shape));
      const x = ids(B, T);
      const targets = tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => (i * 11) % 350), 'int32');
      const mask = tf.ones([B * T]) as tf.Tensor1D;
      const vars = Object.values(lm.trainable);
      const grads = (cache?: KvCache) => {
        const held: KvCache | undefined = cache;
        const { value, grads: g } = tf.variableGrads(() => softmaxCrossEntropy(decoderLogits(lm.weights, lm.decoder, { ids: x, positions: rangePositions(B, T), bias: causalBias(T), train: { seed: 7 }, cache: held }), targets, mask), vars);
        const out = { loss: value.dataSync()[0], g: vars.map((v) => Array.from(g[v.name].dataSync())) };
        tf.dispose([value, ...Object.values(g), ...(held ? [...held.k, ...held.v] : [])]);
        return out;
      };
      const plain = grads({ k: [], v: [] }); // a cache turns checkpointing off (and this first call fills tfjs' caches)
      const n = tf.memory().numTensors;
      const ckpt = grads(); // no cache: each layer is recomputed in the backward pass
      expect(tf.memory().numTensors).toBe(n);
      expect(ckpt.loss).toBeCloseTo(plain.loss, 6);
      ckpt.g.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(plain.g[i][j], 5)));
      expect(ckpt.g.some((g) => g.some((v) => v !== 0))).toBe(true);
      lm.dispose();
      tf.dispose([x, targets, mask]);
    }
  });
});

describe('the gradient through a frozen weight', () => {
  it('is dy·w, summed over row blocks for a weight taller than GRAD_ROW_CHUNK (the output head)', () => {
    for (const rows of [300, GRAD_ROW_CHUNK + 1234]) {
      const w = tf.randomNormal([rows, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
      const x = tf.randomNormal([5, 8], 0, 1, 'float32', 4) as tf.Tensor2D;
      const c = tf.randomNormal([5, rows], 0, 1, 'float32', 5) as tf.Tensor2D;
      const got = tf.grad((v: tf.Tensor) => tf.sum(mmFrozen(v as tf.Tensor2D, w).mul(c)))(x);
      const want = tf.matMul(c, w);
      expect(got.shape).toEqual([5, 8]);
      expect(tf.max(tf.abs(got.sub(want))).dataSync()[0]).toBeLessThan(1e-3);
      expect(tf.max(tf.abs(mmFrozen(x, w).sub(tf.matMul(x, w, false, true)))).dataSync()[0]).toBeLessThan(1e-4);
      tf.dispose([w, x, c, got, want]);
    }
  });
});

describe('a long prefill in chunks', () => {
  it('cuts a prefill into power-of-two chunks only when one layer would exceed the budget', () => {
    const c = m.decoder;
    expect(prefillChunk(c, 1, 100, 100)).toBe(100);
    const n = prefillChunk(c, 1, 100, 100, undefined, layerBytes(c, 1, 20, 100));
    expect(n).toBe(16);
  });

  it("gives the full forward's last row, with and without a cache, and the same cache", () => {
    const [B, T] = [2, 37];
    const x = ids(B, T);
    const full = tf.tidy(() => m.forward(x).reshape([B, T, -1]).slice([0, T - 1, 0], [B, 1, -1]).reshape([B, -1]).arraySync() as number[][]);
    const input = { ids: x, positions: rangePositions(B, T), bias: causalBias(T), lastOnly: true };
    const small = layerBytes(m.decoder, B, 8, T);
    const one: KvCache = { k: [], v: [] };
    const chunked: KvCache = { k: [], v: [] };
    const whole = tf.tidy(() => stepChunked(m.weights, m.decoder, { ...input, cache: one }).arraySync() as number[][]);
    const inChunks = tf.tidy(() => stepChunked(m.weights, m.decoder, { ...input, cache: chunked }, undefined, small).arraySync() as number[][]);
    const noCache = tf.tidy(() => stepChunked(m.weights, m.decoder, input, undefined, small).arraySync() as number[][]);
    for (const got of [whole, inChunks, noCache]) for (let b = 0; b < B; b++) got[b].forEach((v, i) => expect(v).toBeCloseTo(full[b][i], 4));
    expect(chunked.k[0].shape).toEqual(one.k[0].shape);
    const diff = tf.tidy(() => tf.max(tf.abs(chunked.k[1].sub(one.k[1]))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, ...one.k, ...one.v, ...chunked.k, ...chunked.v]);
  });

  it('leaves greedy sampling unchanged (left-padded rows, chunks of 4 positions)', async () => {
    const chunkedLm: CausalLM = { ...m, config: m.config, trainable: {}, forward: (i) => m.forward(i), dispose: () => undefined, step: (x) => stepChunked(m.weights, m.decoder, x, undefined, layerBytes(m.decoder, 2, 4, 40)) };
    const prompts = [Array.from({ length: 30 }, (_, i) => (i * 7 + 3) % 350), [5, 6, 7, 8, 9, 10, 11]];
    const s = { temperature: 0, top_p: 1, max_tokens: 8 };
    const a = (await sampleBatch(m, prompts, s, [], 0, new Rng(1))).map((r) => r.tokens);
    const b = (await sampleBatch(chunkedLm, prompts, s, [], 0, new Rng(1))).map((r) => r.tokens);
    expect(b).toEqual(a);
    expect(a[0]).toHaveLength(8);
  });
});
