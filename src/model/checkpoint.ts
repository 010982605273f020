// Checkpoints as safetensors files (the Hugging Face format: u64 header length, JSON header, raw
// little-endian data), written atomically, with the model config and training state in the metadata.

import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';
import { InputError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

const DTYPE = 'F32';

export async function saveSafetensors(path: string, tensors: Record<string, tf.Tensor>, metadata: Record<string, string>): Promise<string> {
  const names = Object.keys(tensors).sort();
  const datas = await Promise.all(names.map((n) => tensors[n].data() as Promise<Float32Array>));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  names.forEach((n, i) => {
    const bytes = datas[i].byteLength;
    header[n] = { dtype: DTYPE, shape: tensors[n].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  });
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const buf = Buffer.alloc(8 + headerBytes.length + offset);
  buf.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(buf, 8);
  let at = 8 + headerBytes.length;
  for (const d of datas) {
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(buf, at);
    at += d.byteLength;
  }
  writeFileAtomic(path, buf);
  return sha256(buf);
}

export function loadSafetensors(path: string): { tensors: Record<string, TensorData>; metadata: Record<string, string>; sha256: string } {
  const buf = readFileSync(path);
  const fail = (why: string): never => {
    throw new InputError(`not a valid safetensors file: ${why}`, { file: path, hint: 'the checkpoint is damaged; delete it and rerun the stage' });
  };
  if (buf.length < 8) fail('shorter than its header');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) fail('header runs past the end of the file');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return fail('header is not JSON');
  }
  const base = 8 + n;
  const tensors: Record<string, TensorData> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (t.dtype !== DTYPE) fail(`tensor ${name} has dtype ${t.dtype}; only F32 is read`);
    const [s, e] = t.data_offsets;
    if (base + e > buf.length) fail(`tensor ${name} runs past the end of the file`);
    const copy = new Float32Array((e - s) / 4);
    Buffer.from(copy.buffer).set(buf.subarray(base + s, base + e));
    tensors[name] = { shape: t.shape, data: copy };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {}, sha256: sha256(buf) };
}
