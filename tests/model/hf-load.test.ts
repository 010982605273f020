import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel } from '../../src/model/hf-model.js';
import { checkTensors, expectedTensors } from '../../src/model/hf-weights.js';
import type { SafetensorsHeader } from '../../src/model/safetensors.js';
import { parseDecoderConfig } from '../../src/model/hf-config.js';
import { TINY, writeSynthetic } from './hf-synth.js';
import { maxRelErr as maxRel } from '../rel-err.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const ids = () => tf.tensor2d([[2, 3, 4, 5, 6], [7, 8, 9, 10, 11]], [2, 5], 'int32');

async function logitsOf(dir: string): Promise<Float32Array> {
  const m = await loadHfModel(dir, { backend: 'cpu' });
  const out = tf.tidy(() => m.forward(ids()).dataSync() as Float32Array);
  m.dispose();
  return out;
}

describe('Hugging Face checkpoints', () => {
  it('load llama, qwen2 and qwen3 configs and give finite logits of shape [B*T, V]', async () => {
    for (const cfg of [{ ...TINY, model_type: 'llama', tie_word_embeddings: true }, { ...TINY, model_type: 'qwen2' }, { ...TINY, model_type: 'qwen3', head_dim: 16 }]) {
      const m = await loadHfModel(writeSynthetic(cfg), { backend: 'cpu' });
      const logits = m.forward(ids());
      expect(logits.shape).toEqual([10, 50]);
      expect(logits.dataSync().every(Number.isFinite)).toBe(true);
      logits.dispose();
      m.dispose();
    }
  });

  it('read a sharded checkpoint exactly as the same weights in one file', async () => {
    const cfg = { ...TINY, model_type: 'qwen2' };
    expect(await logitsOf(writeSynthetic(cfg, { sharded: true }))).toEqual(await logitsOf(writeSynthetic(cfg)));
  });

  it('read BF16 and F16 weights converted to float32 (close to the F32 original)', async () => {
    const cfg = { ...TINY, model_type: 'llama' };
    const f32 = await logitsOf(writeSynthetic(cfg));
    expect(maxRel(await logitsOf(writeSynthetic(cfg, { dtype: 'F16' })), f32)).toBeLessThan(1e-2);
    expect(maxRel(await logitsOf(writeSynthetic(cfg, { dtype: 'BF16', sharded: true })), f32)).toBeLessThan(5e-2);
  });

  it('give log-probs of the next tokens equal to the log-softmax of the logits', async () => {
    const m = await loadHfModel(writeSynthetic({ ...TINY, model_type: 'llama' }), { backend: 'cpu' });
    const targets = tf.tensor1d([3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'int32');
    const lp = m.logProbs(ids(), targets).dataSync();
    const ref = tf.tidy(() => tf.logSoftmax(m.forward(ids())).dataSync());
    expect(lp[0]).toBeCloseTo(ref[3], 5);
    expect(lp[9]).toBeCloseTo(ref[9 * 50 + 12], 5);
    m.dispose();
  });

  it('read eos ids from generation_config.json over config.json', async () => {
    const m = await loadHfModel(writeSynthetic({ ...TINY, model_type: 'qwen2' }, { generation: { eos_token_id: [1, 4], temperature: 0.6, top_p: 0.95 } }), { backend: 'cpu' });
    expect(m.config.eos_token_ids).toEqual([1, 4]);
    expect(m.generation).toMatchObject({ temperature: 0.6, top_p: 0.95 });
    m.dispose();
  });

  it('leak no tensors in a forward pass and free every weight on dispose', async () => {
    const before = tf.memory().numTensors;
    const m = await loadHfModel(writeSynthetic({ ...TINY, model_type: 'qwen3', head_dim: 16 }), { backend: 'cpu' });
    const loaded = tf.memory().numTensors;
    tf.tidy(() => {
      m.forward(ids());
    });
    expect(tf.memory().numTensors).toBe(loaded);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad checkpoint directories get an error naming the file and the problem, never "delete"', () => {
  const expectError = async (dir: string, re: RegExp) => {
    const err = await loadHfModel(dir, { backend: 'cpu' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(re);
    expect(err?.message).not.toMatch(/delete/i);
  };

  it('a missing config.json', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' });
    rmSync(join(dir, 'config.json'));
    await expectError(dir, /model: config\.json is missing/);
  });

  it('missing weights', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' });
    rmSync(join(dir, 'model.safetensors'));
    await expectError(dir, /neither model\.safetensors nor model\.safetensors\.index\.json/);
  });

  it('a missing shard', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' }, { sharded: true });
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    await expectError(dir, /model\.safetensors\.index\.json: shard model-00002-of-00002\.safetensors .* is missing/);
  });

  it('an unsupported architecture, naming it and the supported ones', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...TINY, model_type: 'mistral', architectures: ['MistralForCausalLM'] }));
    await expectError(dir, /config\.json, field "model_type": unsupported architecture \(model_type "mistral", architectures \["MistralForCausalLM"\]\)[\s\S]*gpt, llama, qwen2, qwen3/);
  });

  it('a tensor whose shape does not match the config', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...TINY, model_type: 'llama', intermediate_size: 48 }));
    await expectError(dir, /model\.safetensors: tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[64, 32\] but config\.json implies \[48, 32\]/);
  });

  it('a missing tensor (an untied head without lm_head.weight)', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama', tie_word_embeddings: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, tie_word_embeddings: false }));
    await expectError(dir, /tensor lm_head\.weight is missing \(config\.json says tie_word_embeddings: false\)/);
  });

  it('a dtype Reprise does not read is named as a format, not as damage', async () => {
    const dir = writeSynthetic({ ...TINY, model_type: 'llama' });
    const file = join(dir, 'model.safetensors');
    const buf = readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    const header = buf.subarray(8, 8 + n).toString('utf8').replace('"dtype":"F32","shape":[32]', '"dtype":"I32","shape":[32]');
    writeFileSync(file, Buffer.concat([buf.subarray(0, 8), Buffer.from(header), buf.subarray(8 + n)]));
    await expectError(dir, /has dtype I32, which Reprise does not read[\s\S]*supported dtypes: F32, BF16, F16/);
  });

  it('a model too large for the wasm heap is refused up front with its size and the limit', () => {
    const c = parseDecoderConfig({ ...TINY, model_type: 'llama', vocab_size: 40_000_000 }, 'big/config.json');
    const header: SafetensorsHeader = { file: 'big/model.safetensors', tensors: {}, metadata: {}, base: 0, size: 0 };
    const where = new Map<string, SafetensorsHeader>();
    for (const [name, shape] of expectedTensors(c)) {
      header.tensors[name] = { dtype: 'BF16', shape, data_offsets: [0, 0] };
      where.set(name, header);
    }
    expect(() => checkTensors(c, where, 'big/config.json', 'wasm')).toThrow(/big\/config\.json: the model needs 9\.54 GiB as float32 weights; the wasm heap holds at most 4\.00 GiB/);
    expect(checkTensors(c, where, 'big/config.json', 'cpu')).toBeGreaterThan(4 * 2 ** 30);
  });
});
