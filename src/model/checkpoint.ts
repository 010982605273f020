// Reprise's own stage checkpoints as safetensors files, written atomically, with the model config and training
// state in the metadata. A file that cannot be parsed was torn by a crash: the hint says to delete and rerun.

import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';
import { sha256 } from '../util/hash.js';
import { encodeSafetensors, readHeader, readTensors, type TensorData } from './safetensors.js';

export type { TensorData } from './safetensors.js';

const DAMAGED = 'the checkpoint is damaged; delete it and rerun the stage';

export async function saveSafetensors(path: string, tensors: Record<string, tf.Tensor>, metadata: Record<string, string>): Promise<string> {
  const names = Object.keys(tensors);
  const datas = await Promise.all(names.map((n) => tensors[n].data() as Promise<Float32Array>));
  const plain: Record<string, TensorData> = {};
  names.forEach((n, i) => (plain[n] = { shape: tensors[n].shape, data: datas[i] }));
  const buf = encodeSafetensors(plain, metadata);
  writeFileAtomic(path, buf);
  return sha256(buf);
}

export function loadSafetensors(path: string): { tensors: Record<string, TensorData>; metadata: Record<string, string>; sha256: string } {
  const h = readHeader(path, DAMAGED);
  return { tensors: readTensors(h, undefined, DAMAGED), metadata: h.metadata, sha256: sha256(readFileSync(path)) };
}
