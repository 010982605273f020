import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { clipFraction, clippedSurrogate, groupAdvantages, k3, tokenWeights } from '../../src/train/grpo-loss.js';
import { initBackend } from '../../src/model/backend.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('group-relative advantages', () => {
  it('normalise each group by its own mean and population std', () => {
    // group 1: [1, 0, 0, 1] mean 0.5 std 0.5; group 2: [2, 2, 2, 2] std 0 → all zero
    const a = groupAdvantages([1, 0, 0, 1, 2, 2, 2, 2], 4, true);
    const e = 0.5 / (0.5 + 1e-4);
    expect(a.slice(0, 4).map((x) => +x.toFixed(6))).toEqual([e, -e, -e, e].map((x) => +x.toFixed(6)));
    expect(a.slice(4)).toEqual([0, 0, 0, 0]);
  });

  it('only centre the rewards when scale_rewards is off (Dr. GRPO)', () => {
    expect(groupAdvantages([3, 1, 0, 0], 2, false)).toEqual([1, -1, 0, 0]);
  });

  it('refuse a batch that is not whole groups', () => {
    expect(() => groupAdvantages([1, 2, 3], 2, true)).toThrow(/whole number of groups/);
  });
});

describe('token weights of each loss aggregation', () => {
  // two sequences of T = 3: the first has 1 completion token, the second 2
  const mask = new Float32Array([0, 0, 1, 0, 1, 1]);
  it('grpo: mean within each sequence, then over sequences', () => {
    expect(Array.from(tokenWeights(mask, 2, 3, 'grpo', 10))).toEqual([0, 0, 0.5, 0, 0.25, 0.25]);
  });
  it('bnpo and dapo: one mean over all tokens of the batch', () => {
    const w = Array.from(tokenWeights(mask, 2, 3, 'dapo', 10)).map((x) => +x.toFixed(6));
    expect(w).toEqual([0, 0, 0.333333, 0, 0.333333, 0.333333]);
  });
  it('dr_grpo: a constant, sequences × max_tokens', () => {
    expect(Array.from(tokenWeights(mask, 2, 3, 'dr_grpo', 10)).map((x) => +x.toFixed(6))).toEqual([0, 0, 0.05, 0, 0.05, 0.05]);
  });
});

describe('clipped surrogate', () => {
  const run = (logp: number[], old: number[], adv: number[], w: number[], beta = 0, ref?: number[]) =>
    tf.tidy(() =>
      clippedSurrogate({ logp: tf.tensor1d(logp), oldLogp: tf.tensor1d(old), refLogp: ref ? tf.tensor1d(ref) : undefined, adv: tf.tensor1d(adv), weights: tf.tensor1d(w), epsLow: 0.2, epsHigh: 0.2, beta }).dataSync()[0],
    );

  it('is −A per token when the policy has not moved (ratio 1)', () => {
    expect(run([-1, -2], [-1, -2], [2, -1], [0.5, 0.5])).toBeCloseTo(-(2 - 1) / 2, 6);
  });

  it('caps the gain of a token whose ratio passed 1 + ε with a positive advantage', () => {
    // ratio = e^0.5 ≈ 1.6487 > 1.2 → min(1.6487·1, 1.2·1) = 1.2
    expect(run([-0.5], [-1], [1], [1])).toBeCloseTo(-1.2, 5);
  });

  it('keeps the unclipped term for a negative advantage when the ratio rose (pessimistic bound)', () => {
    // ratio 1.6487, A = −1: min(−1.6487, −1.2) = −1.6487 → loss +1.6487
    expect(run([-0.5], [-1], [-1], [1])).toBeCloseTo(Math.exp(0.5), 5);
  });

  it('adds β times the k3 KL to the reference', () => {
    // logp = old → surrogate −A = 0 for A = 0; ref − logp = 0.3: k3 = e^0.3 − 0.3 − 1
    const kl = Math.exp(0.3) - 0.3 - 1;
    expect(run([-1], [-1], [0], [1], 0.5, [-0.7])).toBeCloseTo(0.5 * kl, 6);
    expect(tf.tidy(() => k3(tf.tensor1d([-1, -2]), tf.tensor1d([-1, -2])).dataSync()[0])).toBe(0);
  });

  it('counts the tokens where the clip binds', () => {
    const ratio = new Float32Array([1.5, 0.5, 1.1, 1.5]);
    const adv = new Float32Array([1, -1, 1, -1]);
    expect(clipFraction(ratio, adv, new Float32Array([1, 1, 1, 1]), 0.2, 0.2)).toBe(0.5);
    expect(clipFraction(ratio, adv, new Float32Array([0, 0, 1, 1]), 0.2, 0.2)).toBe(0);
  });
});

describe('a policy-gradient step', () => {
  it('raises the log-probability of a completion with positive advantage and lowers the one with negative', async () => {
    const { createModel } = await import('../../src/model/lm.js');
    const { forward } = await import('../../src/model/gpt.js');
    const { tokenLogprobs } = await import('../../src/train/losses.js');
    const { packBatch } = await import('../../src/train/batch.js');
    const { AdamW } = await import('../../src/train/optim.js');
    const { DEFAULT_SPECIALS } = await import('../../src/model/tokenizer.js');
    const m = createModel({ d_model: 16, n_layer: 1, n_head: 2, context_length: 16 }, { kind: 'char', chars: '0123456789', specials: DEFAULT_SPECIALS }, 1);
    const prompt = m.tokenizer.encodePrompt([{ role: 'user', content: '12' }]);
    const good = m.tokenizer.encode('34');
    const bad = m.tokenizer.encode('56');
    const batch = packBatch([{ prompt, completion: good }, { prompt, completion: bad }], m.tokenizer.pad, 16);
    const seqLogp = () =>
      tf.tidy(() => {
        const lp = tokenLogprobs(forward(m.params, m.cfg, tf.tensor2d(batch.inputs, [2, batch.T], 'int32')), tf.tensor1d(batch.targets, 'int32')).mul(tf.tensor1d(batch.mask));
        return Array.from(lp.reshape([2, batch.T]).sum(1).dataSync());
      });
    const [g0, b0] = seqLogp();
    const adv = new Float32Array(2 * batch.T);
    adv.fill(1, 0, batch.T);
    adv.fill(-1, batch.T);
    const w = tokenWeights(batch.mask, 2, batch.T, 'grpo', 8);
    const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0, grad_clip: 1 });
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const logp = tokenLogprobs(forward(m.params, m.cfg, tf.tensor2d(batch.inputs, [2, batch.T], 'int32')), tf.tensor1d(batch.targets, 'int32'));
        return clippedSurrogate({ logp, oldLogp: tf.tensor1d(logp.dataSync() as Float32Array), adv: tf.tensor1d(adv), weights: tf.tensor1d(w), epsLow: 0.2, epsHigh: 0.2, beta: 0 });
      });
      await opt.apply(grads, 1e-2);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const [g1, b1] = seqLogp();
    expect(g1).toBeGreaterThan(g0);
    expect(b1).toBeLessThan(b0);
    opt.dispose();
  });
});

describe('micro-batched policy-gradient pass', () => {
  it('sums to the same gradient, loss, entropy and KL as one full batch', async () => {
    const { createModel, gptLM } = await import('../../src/model/lm.js');
    const { packBatch } = await import('../../src/train/batch.js');
    const { policyGradientPass, batchLogprobs } = await import('../../src/train/grpo-pass.js');
    const { DEFAULT_SPECIALS } = await import('../../src/model/tokenizer.js');
    const spec = { kind: 'char' as const, chars: '0123456789', specials: DEFAULT_SPECIALS };
    const m = createModel({ d_model: 16, n_layer: 1, n_head: 2, context_length: 16 }, spec, 1);
    const ref = createModel({ d_model: 16, n_layer: 1, n_head: 2, context_length: 16 }, spec, 2);
    const p = m.tokenizer.encodePrompt([{ role: 'user', content: '12' }]);
    const comps = ['3', '45', '678', '9'].map((c) => m.tokenizer.encode(c));
    const batch = packBatch(comps.map((c) => ({ prompt: p, completion: c })), m.tokenizer.pad, 16);
    const adv = new Float32Array(4 * batch.T);
    [1, -1, 0.5, -0.5].forEach((a, s) => adv.fill(a, s * batch.T, (s + 1) * batch.T));
    const weights = tokenWeights(batch.mask, 4, batch.T, 'grpo', 8);
    const refLogp = await batchLogprobs(gptLM(ref), batch, 1, 3);
    const run = (microBatch: number) => policyGradientPass({ lm: gptLM(m), batch, adv, weights, temperature: 1, refLogp, epsLow: 0.2, epsHigh: 0.2, beta: 0.1, microBatch, dropoutSeed: 0 });
    const whole = await run(4);
    const parts = await run(1);
    expect(parts.loss).toBeCloseTo(whole.loss, 5);
    expect(parts.entropySum).toBeCloseTo(whole.entropySum, 4);
    expect(parts.klSum).toBeCloseTo(whole.klSum, 5);
    for (const k of Object.keys(whole.grads)) {
      const a = whole.grads[k].dataSync();
      const b = parts.grads[k].dataSync();
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    }
    tf.dispose([...Object.values(whole.grads), ...Object.values(parts.grads)]);
  });
});
