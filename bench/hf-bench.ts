// Hugging Face model layer on wasm: random BF16 checkpoints shaped like SmolLM2-135M and Qwen2.5-0.5B, written to a
// temp dir, then load time, forward tokens/s (one 256-token row) and sampling tokens/s at batch 1 and 32.

import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/model/backend.js';
import { parseDecoderConfig } from '../src/model/hf-config.js';
import { expectedTensors } from '../src/model/hf-weights.js';
import { loadHfModel } from '../src/model/hf-model.js';
import { sampleBatch } from '../src/inference/sample.js';
import { Rng } from '../src/util/rng.js';

export const SHAPES: Record<string, Record<string, unknown>> = {
  'smollm2-135m': { model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, max_position_embeddings: 8192, rms_norm_eps: 1e-5, tie_word_embeddings: true, rope_theta: 100000, eos_token_id: 0 },
  'qwen2.5-0.5b': { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: true, rope_theta: 1000000, eos_token_id: 151643 },
};

/** A random BF16 checkpoint (N(0, 0.02)-ish weights, unit norms) for a config, written without holding float32 copies. */
export function writeRandom(dir: string, config: Record<string, unknown>): number {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const tensors = [...expectedTensors(parseDecoderConfig(config, 'config.json'))];
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const h = Buffer.from(text);
  const buf = Buffer.alloc(8 + h.length + off);
  buf.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(buf, 8);
  const body = new Uint16Array(buf.buffer, buf.byteOffset + 8 + h.length, off / 2);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const rng = new Rng('hf-bench');
  for (const [name] of tensors) {
    const [s, e] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    const norm = name.endsWith('norm.weight');
    for (let i = s / 2; i < e / 2; i++) {
      f[0] = norm ? 1 : (rng.next() - 0.5) * 0.07;
      body[i] = u[0] >>> 16;
    }
  }
  writeFileSync(join(dir, 'model.safetensors'), buf);
  return off;
}

async function benchShape(name: string, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'reprise-hf-bench-')), name);
  try {
    const bf16Bytes = writeRandom(dir, config);
    let t0 = performance.now();
    const m = await loadHfModel(dir, { backend: 'wasm' });
    const loadS = (performance.now() - t0) / 1000;
    const V = m.config.vocab_size;
    const T = 256;
    const ids = tf.tensor2d(Array.from({ length: T }, (_, i) => (i * 7919) % V), [1, T], 'int32');
    tf.tidy(() => void m.forward(ids.slice([0, 0], [1, 8])).dataSync()); // warm-up
    t0 = performance.now();
    tf.tidy(() => void m.forward(ids).dataSync());
    const forward = T / ((performance.now() - t0) / 1000);
    ids.dispose();
    const sampling: Record<string, number> = {};
    for (const B of [1, 32]) {
      const prompts = Array.from({ length: B }, (_, b) => Array.from({ length: 16 }, (_, i) => (b * 131 + i * 17) % V));
      t0 = performance.now();
      const res = sampleBatch(m, prompts, { temperature: 1, top_p: 1, max_tokens: 32 }, [], 0, prompts.map((_, b) => new Rng(`bench/${b}`)));
      sampling[`batch_${B}`] = res.reduce((a, r) => a + r.tokens.length, 0) / ((performance.now() - t0) / 1000);
    }
    m.dispose();
    return { params_m: bf16Bytes / 2 / 1e6, load_s: loadS, forward_tokens_per_s: forward, sample_tokens_per_s: sampling };
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

export async function benchHf(shapes: Record<string, Record<string, unknown>> = SHAPES): Promise<Record<string, unknown>> {
  await initBackend('wasm');
  const out: Record<string, unknown> = {
    units: 'load_s: BF16 safetensors to float32 tensors on the wasm heap; forward: one 256-token row; sampling: 16-token prompts, 32 new tokens per row, KV cache',
  };
  for (const [name, cfg] of Object.entries(shapes)) {
    // a shape that does not fit the wasm heap is recorded with its error, not dropped (the wasm module is unusable after it)
    try {
      out[name] = await benchShape(name, cfg);
    } catch (e) {
      out[name] = { error: (e as Error).message.split('\n')[0] };
      break;
    }
  }
  return out;
}
