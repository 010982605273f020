// The GPT's activation and attention probabilities, fused on webgpu (kernels in webgpu-fused.ts); elsewhere the
// same tfjs ops as before, so wasm and cpu keep their bits.

import * as tf from '@tensorflow/tfjs';
import { scalar } from './scalars.js';
import { fusedOn } from './fused.js';
import { runFused } from './webgpu-fused.js';

/** x·sigmoid(1.702x), the GELU approximation of our GPT. */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (!fusedOn()) return x.mul(tf.sigmoid(x.mul(scalar(1.702)))) as T;
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = xi.reshape([-1]);
    save([flat]);
    return { value: runFused('RepriseGelu', { x: flat }).reshape(xi.shape), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => [runFused('RepriseGeluGrad', { dy: dy.reshape([-1]), x: xs }).reshape(dy.shape)] };
  }) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
  return f(x) as T;
}

/** softmax(scores·scale + bias) for scores [B*H, T, Tk] and bias [1 or B, 1, T, Tk]: probabilities [B*H, T, Tk]. */
export function attentionProbs(scores: tf.Tensor3D, scale: number, bias: tf.Tensor, B: number, H: number): tf.Tensor3D {
  const [, T, Tk] = scores.shape;
  if (!fusedOn()) return tf.softmax(scores.mul(scalar(scale)).reshape([B, H, T, Tk]).add(bias)).reshape([B * H, T, Tk]) as tf.Tensor3D;
  const f = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = runFused('RepriseAttnSoftmax', { s: s.reshape([-1, Tk]), bias }, { scale, heads: H });
    save([y]);
    return { value: y.reshape(s.shape), gradFunc: (dy: tf.Tensor, [ys]: tf.Tensor[]) => [runFused('RepriseAttnSoftmaxGrad', { dy: dy.reshape([-1, Tk]), y: ys }, { scale }).reshape(dy.shape)] };
  }) as never) as unknown as (s: tf.Tensor) => tf.Tensor;
  return f(scores) as tf.Tensor3D;
}

/** Rotary embedding x·cos + rotate_half(x)·sin of x [N, heads, dim] with tables [N, 1, dim]; null off webgpu. */
export function fusedRope(x: tf.Tensor3D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor3D | null {
  if (!fusedOn()) return null;
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    // the tables are saved: made inside a differentiated function, they are disposed before its backward pass
    save([cos, sin]);
    return { value: runFused('RepriseRope', { x: xi, cos, sin }), gradFunc: (dy: tf.Tensor, [c, s]: tf.Tensor[]) => [runFused('RepriseRopeGrad', { x: dy, cos: c, sin: s })] };
  }) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
  return f(x) as tf.Tensor3D;
}
