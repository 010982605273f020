// Parity with transformers 5.17 / PEFT 0.21 on the committed fixtures (scripts/parity/make_fixtures.py): logits
// within a relative error of 1e-4, greedy continuations identical with and without the KV cache.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { loadAdapter, mergeLora } from '../../src/model/lora.js';
import { readHeader, readTensors } from '../../src/model/safetensors.js';
import { sampleBatch } from '../../src/inference/sample.js';
import { Rng } from '../../src/util/rng.js';
import { maxRelErr as relErr } from '../rel-err.js';

const ROOT = join(__dirname, '..', 'fixtures', 'hf');
const MODELS = ['llama', 'llama-bf16-sharded', 'smollm2', 'qwen2', 'qwen2-bf16', 'qwen2-f16-linear', 'qwen2-dynamic', 'qwen3', 'qwen3-bf16'];

interface Expected {
  rope_type?: string;
  inputs: number[][];
  greedy: { prompt_ids: number[]; max_new_tokens: number; output_ids: number[]; output_ids_no_cache: number[] }[];
}
const expected = (dir: string) => JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
const reference = (dir: string, name: string) => readTensors(readHeader(join(dir, 'expected.safetensors')), [name])[name].data;

function logitsOn(m: HfModel, inputs: number[][]): Float32Array {
  return tf.tidy(() => m.forward(tf.tensor2d(inputs, [inputs.length, inputs[0].length], 'int32')).dataSync() as Float32Array);
}

async function checkGreedy(m: HfModel, e: Expected): Promise<void> {
  for (const g of e.greedy) {
    const s = { temperature: 0, top_p: 1, max_tokens: g.max_new_tokens };
    expect((await sampleBatch(m, [g.prompt_ids], s, m.config.eos_token_ids, 0, new Rng(0)))[0].tokens).toEqual(g.output_ids);
    expect((await sampleBatch(m, [g.prompt_ids], s, m.config.eos_token_ids, 0, new Rng(0), { cache: false }))[0].tokens).toEqual(g.output_ids_no_cache);
  }
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('parity with transformers', () => {
  for (const name of MODELS) {
    it(`${name}: logits within 1e-4 and greedy continuations token for token, with and without the cache`, async () => {
      const dir = join(ROOT, name);
      const e = expected(dir);
      const m = await loadHfModel(dir);
      expect(m.decoder.rope.rope_type).toBe(e.rope_type ?? 'default');
      const err = relErr(logitsOn(m, e.inputs), reference(dir, 'logits'));
      console.log(`max_rel_err ${name} ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-4);
      await checkGreedy(m, e);
      m.dispose();
    });
  }

  it('qwen2-lora: a PEFT-written adapter gives PEFT logits and greedy tokens; merged, the same', async () => {
    const dir = join(ROOT, 'qwen2-lora');
    const e = expected(dir);
    const m = await loadHfModel(join(ROOT, 'qwen2'));
    loadAdapter(m, dir);
    const err = relErr(logitsOn(m, e.inputs), reference(dir, 'logits'));
    console.log(`max_rel_err qwen2-lora ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(1e-4);
    await checkGreedy(m, e);
    mergeLora(m);
    const merged = relErr(logitsOn(m, e.inputs), reference(dir, 'merged_logits'));
    console.log(`max_rel_err qwen2-lora merged ${merged.toExponential(2)}`);
    expect(merged).toBeLessThanOrEqual(1e-4);
    m.dispose();
  });
});
