// Scalar constants kept as tensors: an inline number in a tfjs op becomes a new tensor, and on webgpu a buffer
// upload (Dawn createBuffer was 22% of a training step's host time on the H200).

import * as tf from '@tensorflow/tfjs';

const cache = new Map<string, tf.Scalar>();

/** A kept float32 scalar, one per value and backend; never dispose it. */
export function scalar(v: number): tf.Scalar {
  const key = `${tf.getBackend()}:${v}`;
  let s = cache.get(key);
  if (!s || s.isDisposed) {
    s = tf.keep(tf.scalar(v, 'float32'));
    cache.set(key, s);
  }
  return s;
}

/** Frees the cached scalars (tests that count tensors call this first). */
export function disposeScalars(): void {
  for (const s of cache.values()) s.dispose();
  cache.clear();
}
