import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';
import { createModel, gptLM } from '../../src/model/lm.js';
import { forward } from '../../src/model/gpt.js';
import { pickToken, sampleBatch } from '../../src/inference/sample.js';
import { DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';
import { Rng } from '../../src/util/rng.js';

const spec = { kind: 'char' as const, chars: '0123456789+=:;', specials: DEFAULT_SPECIALS };

beforeAll(async () => {
  await initBackend('wasm');
});

describe('sampling with a KV cache', () => {
  const m = createModel({ d_model: 32, n_layer: 2, n_head: 2, context_length: 48 }, spec, 3);
  const tok = m.tokenizer;
  const lm = gptLM(m);
  const prompts = [tok.encodePrompt([{ role: 'user', content: '12+7' }]), tok.encodePrompt([{ role: 'user', content: '1234+5678' }])];

  it('greedy decoding with the cache equals greedy decoding by full forward passes', async () => {
    const cached = await sampleBatch(lm, prompts, { temperature: 0, top_p: 1, max_tokens: 10 }, -1, tok.pad, new Rng(1));
    for (const [i, prompt] of prompts.entries()) {
      const seq = [...prompt];
      for (let t = 0; t < 10; t++) {
        const next = tf.tidy(() => {
          const logits = forward(m.params, m.cfg, tf.tensor2d(seq, [1, seq.length], 'int32'));
          return logits.slice([seq.length - 1, 0], [1, m.cfg.vocab_size]).argMax(-1).dataSync()[0];
        });
        seq.push(next);
      }
      expect(cached[i].tokens).toEqual(seq.slice(prompt.length));
    }
  });

  it('gives a row the same completion alone or in a left-padded batch, with its own Rng', async () => {
    const s = { temperature: 1, top_p: 0.9, max_tokens: 12 };
    const both = await sampleBatch(lm, prompts, s, tok.eos, tok.pad, [new Rng('a'), new Rng('b')]);
    const alone = await sampleBatch(lm, [prompts[0]], s, tok.eos, tok.pad, [new Rng('a')]);
    expect(alone[0].tokens).toEqual(both[0].tokens);
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    await sampleBatch(lm, prompts, { temperature: 1, top_p: 1, max_tokens: 8 }, tok.eos, tok.pad, new Rng(2));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a prompt that fills the context', async () => {
    await expect(sampleBatch(lm, [new Array(48).fill(5)], { temperature: 1, top_p: 1, max_tokens: 4 }, tok.eos, tok.pad, new Rng(2))).rejects.toThrow(/leaves no room/);
  });
});

describe('pickToken', () => {
  it('is the argmax at temperature 0', async () => {
    expect(pickToken([0.1, 3, -1], { temperature: 0, top_p: 1 }, new Rng(1))).toBe(1);
  });
  it('never picks outside the top-p nucleus', async () => {
    const rng = new Rng(4);
    // probabilities ≈ 0.66, 0.24, 0.09, 0.01: top_p 0.8 keeps the first two
    const logits = [Math.log(0.66), Math.log(0.24), Math.log(0.09), Math.log(0.01)];
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(pickToken(logits, { temperature: 1, top_p: 0.8 }, rng));
    expect([...seen].sort()).toEqual([0, 1]);
  });
  it('never picks outside the top k, and applies top-p to the renormalised top k as transformers does', async () => {
    const rng = new Rng(6);
    const logits = [Math.log(0.4), Math.log(0.3), Math.log(0.2), Math.log(0.1)];
    const seen = (s: { top_k: number; top_p: number }) => {
      const out = new Set<number>();
      for (let i = 0; i < 2000; i++) out.add(pickToken(logits, { temperature: 1, ...s }, rng));
      return [...out].sort();
    };
    expect(seen({ top_k: 2, top_p: 1 })).toEqual([0, 1]);
    // within the top 3 (mass 0.9) the first two hold 0.7/0.9 ≈ 0.78 < 0.8: top_p 0.8 keeps all three
    expect(seen({ top_k: 3, top_p: 0.8 })).toEqual([0, 1, 2]);
    expect(seen({ top_k: 0, top_p: 0.65 })).toEqual([0, 1]);
  });
  it('follows the softmax frequencies at temperature 1', async () => {
    const rng = new Rng(5);
    let ones = 0;
    for (let i = 0; i < 20000; i++) ones += pickToken([0, Math.log(3)], { temperature: 1, top_p: 1 }, rng);
    expect(ones / 20000).toBeGreaterThan(0.73);
    expect(ones / 20000).toBeLessThan(0.77);
  });
});
