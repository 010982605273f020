// A small GPT-style decoder (pre-LayerNorm, learned positions, tied embeddings) in tfjs, written for wasm:
// every dense product is a rank-2 matMul without transpose flags, in both passes (see TFJS-NOTES.md). On the `blas`
// backend the attention, layer norm and gelu go through kernels/wasm-*.ts and the products take transpose flags.

import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { ShapeError } from '../util/errors.js';
import { layerNorm } from './kernels/norm.js';
import { attentionProbs, gelu as geluOps } from './kernels/activations.js';
import { scalar } from './kernels/scalars.js';
import { activeBlas } from './kernels/wasm-blas.js';
import { cachedAttention, fusedAttention } from './kernels/wasm-attention.js';
import { layerNormKernel } from './kernels/wasm-norm.js';

export interface GptConfig {
  vocab_size: number;
  d_model: number;
  n_layer: number;
  n_head: number;
  context_length: number;
}

export type Params = Record<string, tf.Variable>;

/** x @ w for rank-2 tensors; the gradient uses explicit transposes so wasm stays on XNNPACK (OpenBLAS on the blas
 * backend takes the transpose flags instead). */
const mmGrad = tf.customGrad(((...args: unknown[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      if (blasActive()) return [tf.matMul(g, sb, false, true), tf.matMul(sa, g, true, false)];
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as never) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** x @ wᵀ for rank-2 tensors (the tied output head), without materialising wᵀ where the backend need not. */
const mmTGrad = tf.customGrad(((...args: unknown[]) => {
  const [a, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, w]);
  return {
    value: tf.matMul(a, w, false, true),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sw] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, sw), tf.matMul(g, sa, true, false)];
    },
  };
}) as never) as unknown as (a: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;

const blasActive = () => tf.getBackend() === 'wasm' && activeBlas() !== null;

/** Whether a gradient tape records (tf.grad and friends): outside one, a custom gradient is only overhead per op. */
export const taping = () => (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();

/** x @ w for rank-2 tensors (see mmGrad). */
export function mm(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return taping() ? mmGrad(a, b) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
}

function mmT(a: tf.Tensor, w: tf.Tensor): tf.Tensor2D {
  return taping() ? mmTGrad(a, w) : tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D, false, true);
}

/** A trainable variable that takes over a tensor (the tensor itself is released, its data kept). */
export function variableFrom(t: tf.Tensor, trainable = true): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

export function countParams(params: Params): number {
  return Object.values(params).reduce((n, v) => n + v.size, 0);
}

/** Deterministic initialisation from a seed (GPT-2's: N(0, 0.02), residual projections scaled by 1/sqrt(2L)). */
export function initParams(cfg: GptConfig, seed: number | string): Params {
  const rng = new Rng(`init/${seed}`);
  const { d_model: d, n_layer: L, vocab_size: V, context_length: T } = cfg;
  const normal = (shape: number[], std: number) => {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
    return variableFrom(tf.tensor(a, shape));
  };
  const fill = (shape: number[], v: number) => variableFrom(tf.fill(shape, v));
  const p: Params = { wte: normal([V, d], 0.02), wpe: normal([T, d], 0.01) };
  const residStd = 0.02 / Math.sqrt(2 * L);
  for (let l = 0; l < L; l++) {
    p[`h${l}.ln1_g`] = fill([d], 1);
    p[`h${l}.ln1_b`] = fill([d], 0);
    p[`h${l}.attn_w`] = normal([d, 3 * d], 0.02);
    p[`h${l}.attn_b`] = fill([3 * d], 0);
    p[`h${l}.proj_w`] = normal([d, d], residStd);
    p[`h${l}.proj_b`] = fill([d], 0);
    p[`h${l}.ln2_g`] = fill([d], 1);
    p[`h${l}.ln2_b`] = fill([d], 0);
    p[`h${l}.fc_w`] = normal([d, 4 * d], 0.02);
    p[`h${l}.fc_b`] = fill([4 * d], 0);
    p[`h${l}.fc2_w`] = normal([4 * d, d], residStd);
    p[`h${l}.fc2_b`] = fill([d], 0);
  }
  p.lnf_g = fill([d], 1);
  p.lnf_b = fill([d], 0);
  return p;
}


function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return mm(x, w).add(b) as tf.Tensor2D;
}

function gelu(x: tf.Tensor2D): tf.Tensor2D {
  if (blasActive()) return taping() ? geluFused(x) : (tf.mul(x, tf.sigmoid(tf.mul(x, scalar(1.702)))) as tf.Tensor2D);
  return geluOps(x);
}

/** The same x·σ(1.702x) with its derivative σ·(1 + 1.702x(1 − σ)) written out: autodiff also computes the unused
 * gradient of the constant and casts each factor. Not bit-equal to the plain form, so only on the blas backend. */
const geluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(tf.mul(x, scalar(1.702)));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [sx, ss]: tf.Tensor[]) => [tf.mul(dy, tf.mul(ss, tf.add(scalar(1), tf.mul(tf.mul(sx, scalar(1.702)), tf.sub(scalar(1), ss)))))],
  };
}) as never) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

/** Per-layer attention keys and values, [B*H, Tc, dh] each. */
export interface KvCache {
  k: tf.Tensor3D[];
  v: tf.Tensor3D[];
}

/**
 * The transformer on token ids [B, T] with position ids [B, T] and an additive attention bias
 * [B, 1, T, Tk] (0 or -1e9, causal and padding); returns final hidden states [B*T, d].
 * With `cache`, keys and values of earlier positions are prepended and the new ones appended to it.
 */
export function hidden(p: Params, cfg: GptConfig, ids: tf.Tensor2D, pos: tf.Tensor2D, bias: tf.Tensor, cache?: KvCache): tf.Tensor2D {
  const [B, T] = ids.shape;
  const { n_head: H, n_layer: L } = cfg;
  if (T > cfg.context_length) throw new ShapeError('token ids', `[B, T <= ${cfg.context_length}]`, ids.shape);
  let x = tf.gather(p.wte, ids.reshape([B * T])).add(tf.gather(p.wpe, pos.reshape([B * T]))) as tf.Tensor2D; // [B*T, d]
  // the blas backend reads q, k and v in place; the cache path keeps the generic ops
  const fused = !cache && blasActive();
  const blas = blasActive();
  const norm = blas ? layerNormKernel : layerNorm;
  // small batches are op-bound (d128 at batch 1: 721 → 1,208 tokens/s); at batch 64 the per-row loop of
  // cachedAttention was slower than the batched ops (6,853 → 5,580)
  const oneKernel = blas && !taping() && B <= 8;
  for (let l = 0; l < L; l++) {
    const h = norm(x, p[`h${l}.ln1_g`], p[`h${l}.ln1_b`]);
    const qkv = linear(h, p[`h${l}.attn_w`], p[`h${l}.attn_b`]); // [B*T, 3d]
    const y = fused ? fusedAttention(qkv, bias, B, T, H) : cache && oneKernel ? blasCached(qkv, bias, B, T, H, l, cache) : attention(qkv, bias, B, T, H, l, cache);
    x = x.add(linear(y, p[`h${l}.proj_w`], p[`h${l}.proj_b`]));
    const h2 = norm(x, p[`h${l}.ln2_g`], p[`h${l}.ln2_b`]);
    x = x.add(linear(gelu(linear(h2, p[`h${l}.fc_w`], p[`h${l}.fc_b`])), p[`h${l}.fc2_w`], p[`h${l}.fc2_b`]));
  }
  return norm(x, p.lnf_g, p.lnf_b);
}

function blasCached(qkv: tf.Tensor2D, bias: tf.Tensor, B: number, T: number, H: number, l: number, cache: KvCache): tf.Tensor2D {
  const [y, k, v] = cachedAttention(qkv, cache.k[l], cache.v[l], bias, B, T, H);
  cache.k[l]?.dispose();
  cache.v[l]?.dispose();
  cache.k[l] = tf.keep(k);
  cache.v[l] = tf.keep(v);
  return y;
}

/** Attention with tfjs ops on qkv [B*T, 3d]; returns [B*T, d]. Rank-2 split and rank-4 transposes: wasm's
 * rank-5 transpose is a slow generic loop. */
function attention(qkv: tf.Tensor2D, bias: tf.Tensor, B: number, T: number, H: number, l: number, cache?: KvCache): tf.Tensor2D {
  const d = qkv.shape[1] / 3;
  const dh = d / H;
  const [q, kNew, vNew] = tf.split(qkv, 3, 1).map((t) => t.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, T, dh]) as tf.Tensor3D);
  let k = kNew;
  let v = vNew;
  if (cache) {
    if (cache.k[l]) {
      k = tf.concat([cache.k[l], kNew], 1);
      v = tf.concat([cache.v[l], vNew], 1);
      cache.k[l].dispose();
      cache.v[l].dispose();
    }
    cache.k[l] = tf.keep(k);
    cache.v[l] = tf.keep(v);
  }
  const probs = attentionProbs(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh), bias, B, H);
  return tf
    .matMul(probs, v) // [B*H, T, dh]
    .reshape([B, H, T, dh])
    .transpose([0, 2, 1, 3])
    .reshape([B * T, d]) as tf.Tensor2D;
}

/** Logits [N, V] from hidden states [N, d] with the tied embedding. */
export function head(p: Params, h: tf.Tensor2D): tf.Tensor2D {
  return blasActive() ? mmT(h, p.wte) : mm(h, tf.transpose(p.wte));
}

/** Causal bias [1, 1, T, T] for a training batch whose sequences all start at position 0. */
export function causalBias(T: number): tf.Tensor4D {
  const a = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) a[i * T + j] = -1e9;
  return tf.tensor4d(a, [1, 1, T, T]);
}

/** Logits [B*T, V] for right-padded training sequences [B, T]. */
export function forward(p: Params, cfg: GptConfig, ids: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = ids.shape;
  const pos = tf.tile(tf.range(0, T, 1, 'int32').reshape([1, T]), [B, 1]) as tf.Tensor2D;
  return head(p, hidden(p, cfg, ids, pos, causalBias(T)));
}
