import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';
import { chunkedTargetLogprobs } from '../../src/model/vocab-loss.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { attachLora, LoraSettings } from '../../src/model/lora.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import { entropy, maskedCrossEntropy, sftLoss, tokenLogprobs } from '../../src/train/losses.js';
import { policyGradientPass } from '../../src/train/grpo-pass.js';
import { packBatch } from '../../src/train/batch.js';
import { tokenWeights } from '../../src/train/grpo-loss.js';
import { Rng } from '../../src/util/rng.js';
import { maxRelErr as relErr } from '../rel-err.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const data = (t: tf.Tensor) => Array.from(t.dataSync());

describe('log-probabilities over the vocabulary in chunks of rows', () => {
  const [N, d, V] = [23, 16, 300];
  const h = () => tf.randomNormal([N, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([V, d], 0, 0.5, 'float32', 2) as tf.Tensor2D;
  const targets = tf.tensor1d(Int32Array.from({ length: N }, (_, i) => (i * 37) % V), 'int32');
  // upstream gradient with zeros, as a mask gives
  const c = tf.tensor1d(Float32Array.from({ length: N }, (_, i) => (i % 4 === 0 ? 0 : Math.sin(i))));

  for (const temperature of [1, 0.7]) {
    it(`give the logits path's log p, entropy and gradient for the hidden states (temperature ${temperature}, chunks of 5 rows)`, () => {
      const x = h();
      const plain = (v: tf.Tensor) => tokenLogprobs(tf.matMul(v as tf.Tensor2D, w, false, true).div(temperature) as tf.Tensor2D, targets);
      const chunked = (v: tf.Tensor) => chunkedTargetLogprobs(v as tf.Tensor2D, w, targets, { temperature, rows: 5 }).logp;
      const want = tf.tidy(() => ({ lp: data(plain(x)), ent: data(entropy(tf.matMul(x, w, false, true).div(temperature) as tf.Tensor2D)), g: data(tf.grad((v: tf.Tensor) => tf.sum(plain(v).mul(c)))(x)) }));
      const n = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const s = chunkedTargetLogprobs(x, w, targets, { temperature, rows: 5, entropy: true });
        return { lp: data(s.logp), ent: data(s.entropy!), g: data(tf.grad((v: tf.Tensor) => tf.sum(chunked(v).mul(c)))(x)) };
      });
      expect(tf.memory().numTensors).toBe(n);
      expect(relErr(got.lp, want.lp)).toBeLessThan(1e-6);
      expect(relErr(got.ent, want.ent)).toBeLessThan(1e-6);
      expect(relErr(got.g, want.g)).toBeLessThan(1e-5);
      expect(got.g.some((v) => v !== 0)).toBe(true);
      x.dispose();
    });
  }

  it('hold a chunk of rows at a time: the peak of a step does not grow with the number of rows', async () => {
    const peak = async (rowsTotal: number) => {
      const x = tf.randomNormal([rowsTotal, d], 0, 1, 'float32', 3) as tf.Tensor2D;
      const t = tf.tensor1d(Int32Array.from({ length: rowsTotal }, (_, i) => (i * 13) % V), 'int32');
      const held = tf.memory().numBytes;
      const p = (await tf.profile(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(chunkedTargetLogprobs(v as tf.Tensor2D, w, t, { rows: 8 }).logp))(x)))).peakBytes - held;
      tf.dispose([x, t]);
      return p;
    };
    const [small, large] = [await peak(32), await peak(512)];
    // only the [N, d] hidden states and their gradient grow: 480 more rows × 16 × 4 bytes × a few
    expect(large - small).toBeLessThan(10 * 480 * d * 4);
    expect(small).toBeGreaterThan(8 * V * 4);
  });
});

/** The model without its own scores: the trainers take [N, V] logits from forward (the unchunked path). */
const viaLogits = (m: HfModel): CausalLM => ({ config: m.config, trainable: m.trainable, step: (x) => m.step(x), forward: (i, o) => m.forward(i, o), dispose: () => undefined });
/** The model with its scores in chunks of 5 rows. */
const inChunks = (m: HfModel, rows = 5): CausalLM => ({ ...viaLogits(m), targetLogprobs: (i, t, o) => m.targetLogprobs(i, t, { ...o, rows }) });

async function withLora(dir: string, dropout: number): Promise<HfModel> {
  const m = await loadHfModel(dir, { backend: 'wasm' });
  attachLora(m, LoraSettings.parse({ r: 4, lora_alpha: 8, lora_dropout: dropout }), 1);
  const rng = new Rng('vocab-loss');
  for (const [k, v] of Object.entries(m.trainable)) if (k.endsWith('lora_B')) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal()), v.shape));
  return m;
}

const [B, T] = [3, 9];
const ids = () => tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 350), [B, T], 'int32');
const targets = () => tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => (i * 11 + 3) % 350), 'int32');
const mask = () => tf.tensor1d(Float32Array.from({ length: B * T }, (_, i) => (i % T < 3 || i % 5 === 0 ? 0 : 1)));

// tied embeddings (qwen2, qwen3) and an untied lm_head (qwen2-f16-linear, llama-bf16-sharded)
describe.each(['qwen2', 'qwen3', 'qwen2-f16-linear', 'llama-bf16-sharded'])('a Hugging Face model (%s) scoring in chunks', (name) => {
  const dir = `tests/fixtures/hf/${name}`;

  it("gives the unchunked SFT loss and LoRA gradients (dropout 0.3, a mask with zeros)", async () => {
    const m = await withLora(dir, 0.3);
    const vars = Object.values(m.trainable);
    const run = (lm: CausalLM) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => sftLoss(lm, ids(), targets(), mask(), 11), vars);
        return { loss: value.dataSync()[0], g: vars.flatMap((v) => data(grads[v.name])) };
      });
    const want = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(m.forward(ids(), { train: true, seed: 11 }), targets(), mask()), vars);
      return { loss: value.dataSync()[0], g: vars.flatMap((v) => data(grads[v.name])) };
    });
    const got = run(inChunks(m));
    const whole = run(m); // one chunk: every row at once
    expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss)).toBeLessThan(1e-6);
    expect(relErr(got.g, want.g)).toBeLessThan(1e-5);
    expect(relErr(whole.g, want.g)).toBeLessThan(1e-5);
    expect(want.g.some((v) => v !== 0)).toBe(true);
    m.dispose();
  });

  it("gives the unchunked GRPO pass: loss, gradients, ratios, entropy and KL to the base (temperature 0.7, beta 0.04)", async () => {
    const m = await withLora(dir, 0);
    const rng = new Rng('grpo');
    const rows = Array.from({ length: 4 }, (_, r) => ({ prompt: Array.from({ length: 3 + r }, (_, i) => (r * 31 + i * 7) % 350), completion: Array.from({ length: 5 - r }, (_, i) => (r * 17 + i * 3 + 1) % 350) }));
    const batch = packBatch(rows, 0, Infinity);
    const S = batch.B;
    const adv = Float32Array.from({ length: S * batch.T }, (_, i) => [0.5, -1, 1.5, -0.2][Math.floor(i / batch.T)]);
    const refLogp = Float32Array.from({ length: S * batch.T }, () => -3 - rng.next());
    const oldLogp = Float32Array.from({ length: S * batch.T }, () => -3 - rng.next());
    const pass = async (lm: CausalLM) => {
      const r = await policyGradientPass({ lm, batch, adv, weights: tokenWeights(batch.mask, S, batch.T, 'grpo', 8), temperature: 0.7, oldLogp, refLogp, epsLow: 0.2, epsHigh: 0.28, beta: 0.04, microBatch: 3, dropoutSeed: 5 });
      const g = Object.values(m.trainable).flatMap((v) => data(r.grads[v.name]));
      tf.dispose(Object.values(r.grads));
      return { ...r, g };
    };
    const want = await pass(viaLogits(m));
    const got = await pass(inChunks(m, 4));
    expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss)).toBeLessThan(1e-5);
    expect(relErr(got.g, want.g)).toBeLessThan(1e-5);
    expect(relErr(got.ratio, want.ratio)).toBeLessThan(1e-5);
    expect(Math.abs(got.entropySum - want.entropySum) / want.entropySum).toBeLessThan(1e-6);
    expect(Math.abs(got.klSum - want.klSum) / want.klSum).toBeLessThan(1e-5);
    expect(want.g.some((v) => v !== 0)).toBe(true);
    m.dispose();
  });

  it('gives the base model (no LoRA) the log-probabilities of its logits', async () => {
    const m = await loadHfModel(dir, { backend: 'wasm' });
    const base = m.base();
    const want = tf.tidy(() => data(tokenLogprobs(base.forward(ids()).div(0.7) as tf.Tensor2D, targets())));
    const got = tf.tidy(() => data(base.targetLogprobs!(ids(), targets(), { temperature: 0.7 }).logp));
    const chunked = tf.tidy(() => data(m.targetLogprobs(ids(), targets(), { temperature: 0.7, rows: 4 }).logp));
    expect(relErr(got, want)).toBeLessThan(1e-6);
    expect(relErr(chunked, want)).toBeLessThan(1e-6);
    m.dispose();
  });
});
