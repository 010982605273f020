// The safetensors format (u64 little-endian header length, JSON header, raw little-endian data), read tensor by
// tensor from disk with F32, BF16 and F16 converted to float32, and written as F32. Errors name the file and the
// tensor; a file of a dtype we do not read is a format question, never damage.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../util/errors.js';

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  file: string;
  tensors: Record<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Byte offset of the data section. */
  base: number;
  size: number;
}

export const READ_DTYPES = ['F32', 'BF16', 'F16'] as const;
const BYTES: Record<string, number> = { F32: 4, BF16: 2, F16: 2 };

/** Thrown for a file that cannot be parsed; callers add the hint that fits (a stage file vs a user's checkpoint). */
export class SafetensorsFormatError extends InputError {
  constructor(readonly why: string, file: string, hint?: string) {
    super(`not a valid safetensors file: ${why}`, { file, hint });
  }
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

export function readHeader(file: string, hint?: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    return parseHeader(fd, file, hint);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(fd: number, file: string, hint?: string): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new SafetensorsFormatError(why, file, hint);
  };
  const size = fstatSync(fd).size;
  if (size < 8) fail('shorter than its header');
  const n = Number(readAt(fd, 0, 8).readBigUInt64LE(0));
  if (8 + n > size) fail('header runs past the end of the file');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readAt(fd, 8, n).toString('utf8'));
  } catch {
    return fail('header is not JSON');
  }
  const tensors: Record<string, TensorInfo> = {};
  for (const [name, info] of Object.entries(raw)) {
    if (name === '__metadata__') continue;
    const t = info as TensorInfo;
    if (!t || typeof t.dtype !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) fail(`tensor ${name} has no dtype, shape or data_offsets`);
    const [s, e] = t.data_offsets;
    if (8 + n + e > size || s > e) fail(`tensor ${name} runs past the end of the file`);
    tensors[name] = t;
  }
  return { file, tensors, metadata: (raw.__metadata__ as Record<string, string>) ?? {}, base: 8 + n, size };
}

const u16 = (src: Buffer) => (src.byteOffset % 2 === 0 ? new Uint16Array(src.buffer, src.byteOffset, src.length / 2) : new Uint16Array(Uint8Array.from(src).buffer));

/** bfloat16 is the top half of a float32. */
function bf16ToF32(src: Buffer): Float32Array {
  const h = u16(src);
  const out = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = h[i] << 16;
  return new Float32Array(out.buffer);
}

let F16_TABLE: Float32Array | undefined;
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function f16ToF32(src: Buffer): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_TABLE[i] = f16Value(i);
  }
  const h = u16(src);
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = F16_TABLE[h[i]];
  return out;
}

/** Reads the named tensors (all when `names` is absent) as float32. */
export function readTensors(h: SafetensorsHeader, names?: readonly string[], hint?: string): Record<string, TensorData> {
  const fd = openSync(h.file, 'r');
  const out: Record<string, TensorData> = {};
  try {
    for (const name of names ?? Object.keys(h.tensors)) {
      const t = h.tensors[name];
      if (!t) throw new InputError(`tensor ${name} is not in the file`, { file: h.file });
      const width = BYTES[t.dtype];
      if (!width) throw new InputError(`tensor ${name} has dtype ${t.dtype}, which Reprise does not read`, { file: h.file, hint: `supported dtypes: ${READ_DTYPES.join(', ')}; convert the checkpoint with transformers (model.to(torch.bfloat16).save_pretrained(...))` });
      const [s, e] = t.data_offsets;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (e - s !== numel * width) throw new SafetensorsFormatError(`tensor ${name} has ${e - s} bytes; shape [${t.shape.join(', ')}] in ${t.dtype} needs ${numel * width}`, h.file, hint);
      const bytes = readAt(fd, h.base + s, e - s);
      let data: Float32Array;
      if (t.dtype === 'F32') {
        data = new Float32Array(numel);
        Buffer.from(data.buffer).set(bytes);
      } else data = t.dtype === 'BF16' ? bf16ToF32(bytes) : f16ToF32(bytes);
      out[name] = { shape: t.shape, data };
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Serialises float32 tensors (sorted by name) with string metadata. */
export function encodeSafetensors(tensors: Record<string, TensorData>, metadata: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const n of names) {
    const bytes = tensors[n].data.byteLength;
    header[n] = { dtype: 'F32', shape: tensors[n].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const buf = Buffer.alloc(8 + headerBytes.length + offset);
  buf.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(buf, 8);
  let at = 8 + headerBytes.length;
  for (const n of names) {
    const d = tensors[n].data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(buf, at);
    at += d.byteLength;
  }
  return buf;
}
