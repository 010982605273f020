import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { sampleBatch } from '../../src/inference/sample.js';
import { Rng } from '../../src/util/rng.js';
import { TINY, writeSynthetic } from './hf-synth.js';

let models: HfModel[];
beforeAll(async () => {
  await initBackend('cpu');
  models = [
    await loadHfModel(writeSynthetic({ ...TINY, model_type: 'llama', tie_word_embeddings: true, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } }), { backend: 'cpu' }),
    await loadHfModel(writeSynthetic({ ...TINY, model_type: 'qwen2', max_position_embeddings: 8, rope_parameters: { rope_type: 'dynamic', factor: 2, rope_theta: 10000 } }), { backend: 'cpu' }),
    await loadHfModel(writeSynthetic({ ...TINY, model_type: 'qwen3', head_dim: 16, rope_parameters: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 16, rope_theta: 1e6 } }), { backend: 'cpu' }),
  ];
});

const prompts = [
  [2, 3, 4, 5, 6, 7, 8, 9, 10],
  [11, 12, 13],
];
const greedy = { temperature: 0, top_p: 1, max_tokens: 10 };

describe('sampling Hugging Face models with a KV cache', () => {
  // dynamic NTK rope rescales with the sequence length, so cached keys keep the scale they were made with, as in
  // transformers (use_cache=True and use_cache=False differ there too); its parity is checked against the fixtures
  it('greedy with the cache equals greedy recomputing every position (llama3 and yarn rope)', async () => {
    for (const m of [models[0], models[2]]) {
      const cached = await sampleBatch(m, prompts, greedy, [], 0, new Rng(1));
      const full = await sampleBatch(m, prompts, greedy, [], 0, new Rng(1), { cache: false });
      expect(cached.map((r) => r.tokens)).toEqual(full.map((r) => r.tokens));
      expect(cached[0].tokens).toHaveLength(10);
    }
  });

  it('greedy by repeated full forward passes picks the same tokens (one row, no padding)', async () => {
    const m = models[2];
    const seq = [...prompts[0]];
    for (let i = 0; i < 10; i++) {
      const next = tf.tidy(() => m.forward(tf.tensor2d(seq, [1, seq.length], 'int32')).slice([seq.length - 1, 0], [1, 50]).argMax(-1).dataSync()[0]);
      seq.push(next);
    }
    expect((await sampleBatch(m, [prompts[0]], greedy, [], 0, new Rng(1)))[0].tokens).toEqual(seq.slice(prompts[0].length));
  });

  it('gives a row the same completion alone or left-padded in a batch, with its own Rng', async () => {
    const s = { temperature: 1, top_p: 0.9, top_k: 20, max_tokens: 8 };
    for (const m of [models[0], models[2]]) {
      const both = await sampleBatch(m, prompts, s, [], 0, [new Rng('a'), new Rng('b')]);
      const alone = await sampleBatch(m, [prompts[1]], s, [], 0, [new Rng('b')]);
      expect(alone[0].tokens).toEqual(both[1].tokens);
    }
  });

  it('stops a row at any of the eos ids, eos included', async () => {
    const m = models[0];
    const free = (await sampleBatch(m, [prompts[0]], greedy, [], 0, new Rng(1)))[0].tokens;
    const eos = [49, free[3]];
    const r = (await sampleBatch(m, [prompts[0]], greedy, eos, 0, new Rng(1)))[0];
    expect(r.finished).toBe(true);
    expect(r.tokens).toEqual(free.slice(0, free.indexOf(free[3]) + 1));
  });

  it('stops a row once its decoded text holds a stop string', async () => {
    const m = models[1];
    const decode = (ids: number[]) => ids.map((i) => `<${i}>`).join('');
    const free = (await sampleBatch(m, [prompts[0]], greedy, [], 0, new Rng(1)))[0].tokens;
    const r = (await sampleBatch(m, [prompts[0]], greedy, [], 0, new Rng(1), { stop: [`<${free[2]}>`], decode }))[0];
    expect(r.finished).toBe(true);
    expect(r.tokens).toEqual(free.slice(0, free.indexOf(free[2]) + 1));
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    await sampleBatch(models[2], prompts, { temperature: 1, top_p: 1, max_tokens: 6 }, [], 0, new Rng(2));
    expect(tf.memory().numTensors).toBe(before);
  });
});
