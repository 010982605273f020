// Writes tiny synthetic Hugging Face checkpoints (random weights from a seed, in F32, BF16 or F16, single or
// sharded) for tests that need a model of a given shape but no reference numbers.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDecoderConfig } from '../../src/model/hf-config.js';
import { expectedTensors } from '../../src/model/hf-weights.js';
import { Rng } from '../../src/util/rng.js';

export type Dtype = 'F32' | 'BF16' | 'F16';

function toF16(x: number): number {
  const f32 = new Float32Array([x]);
  const u = new Uint32Array(f32.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
  if (exp >= 31) return sign | 0x7c00;
  const r = Math.round(mant / 8192);
  return r === 1024 ? sign | ((exp + 1) << 10) : sign | (exp << 10) | r;
}

/** One safetensors file in the given dtype; values are rounded to it (round-to-nearest-even for BF16). */
export function encode(tensors: Record<string, { shape: number[]; data: Float32Array }>, dtype: Dtype): Buffer {
  const width = dtype === 'F32' ? 4 : 2;
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const n of names) {
    const bytes = tensors[n].data.length * width;
    header[n] = { dtype, shape: tensors[n].shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  const h = Buffer.from(JSON.stringify(header));
  const buf = Buffer.alloc(8 + h.length + off);
  buf.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(buf, 8);
  let at = 8 + h.length;
  for (const n of names) {
    const d = tensors[n].data;
    for (let i = 0; i < d.length; i++, at += width) {
      if (dtype === 'F32') buf.writeFloatLE(d[i], at);
      else if (dtype === 'F16') buf.writeUInt16LE(toF16(d[i]), at);
      else {
        const u = new Uint32Array(new Float32Array([d[i]]).buffer)[0];
        buf.writeUInt16LE(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff, at);
      }
    }
  }
  return buf;
}

export const TINY = {
  vocab_size: 50,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-6,
  eos_token_id: 1,
  bos_token_id: 0,
};

/** Random weights for a config (norm weights near 1, others N(0, 0.2)). */
export function randomTensors(config: Record<string, unknown>, seed: string): Record<string, { shape: number[]; data: Float32Array }> {
  const c = parseDecoderConfig(config, 'config.json');
  const rng = new Rng(seed);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of expectedTensors(c)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const norm = name.endsWith('norm.weight');
    for (let i = 0; i < data.length; i++) data[i] = norm ? 1 + 0.1 * rng.normal() : 0.2 * rng.normal();
    out[name] = { shape, data };
  }
  return out;
}

/** Writes config.json, the weights (sharded in two when asked) and generation_config.json; returns the directory. */
export function writeSynthetic(config: Record<string, unknown>, opts: { dtype?: Dtype; sharded?: boolean; seed?: string; dir?: string; generation?: Record<string, unknown> } = {}): string {
  const dir = opts.dir ?? join(mkdtempSync(join(tmpdir(), 'reprise-hf-')), 'model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  if (opts.generation) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(opts.generation));
  const tensors = randomTensors(config, opts.seed ?? 'synth');
  const dtype = opts.dtype ?? 'F32';
  if (!opts.sharded) {
    writeFileSync(join(dir, 'model.safetensors'), encode(tensors, dtype));
    return dir;
  }
  const names = Object.keys(tensors).sort();
  const parts = [names.slice(0, names.length >> 1), names.slice(names.length >> 1)];
  const weight_map: Record<string, string> = {};
  parts.forEach((p, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeFileSync(join(dir, file), encode(Object.fromEntries(p.map((n) => [n, tensors[n]])), dtype));
    for (const n of p) weight_map[n] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
  return dir;
}
