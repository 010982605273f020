// The Llama-family decoder (llama, qwen2, qwen3) in tfjs: RMSNorm, RoPE, grouped-query attention with an
// optional KV cache, SwiGLU, tied or untied head, optional q/k/v biases and q/k norms, LoRA on any linear layer.
// Frozen weights are plain tensors held once, stored transposed ([in, out]) so every dense product is a rank-2
// matMul without transpose flags in both passes (TFJS-NOTES.md); only LoRA factors are variables.

import * as tf from '@tensorflow/tfjs';
import { mm } from './gpt.js';
import { ropeTables } from './rope.js';
import type { DecoderConfig } from './hf-config.js';
import { ShapeError } from '../util/errors.js';
import { fusedOn } from './kernels/fused.js';
import { rmsNorm as fusedRmsNorm } from './kernels/norm.js';
import { fusedRope } from './kernels/activations.js';

/** A LoRA pair as PEFT defines it (y += dropout(x) Aᵀ Bᵀ · scale), held transposed: a [in, r], b [r, out]. */
export interface LoraPair {
  a: tf.Variable;
  b: tf.Variable;
  scale: number;
  dropout: number;
}

export interface Linear {
  /** [in, out] (the transpose of the checkpoint's [out, in]). */
  wT: tf.Tensor2D;
  bias?: tf.Tensor1D;
  lora?: LoraPair;
}

export const LINEAR_NAMES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LinearName = (typeof LINEAR_NAMES)[number];

export interface DecoderLayer extends Record<LinearName, Linear> {
  input_layernorm: tf.Tensor1D;
  post_attention_layernorm: tf.Tensor1D;
  q_norm?: tf.Tensor1D;
  k_norm?: tf.Tensor1D;
}

export interface DecoderWeights {
  /** [V, d]; absent when the embedding is tied to the head, which then serves both. */
  embed?: tf.Tensor2D;
  /** [d, V] */
  headT: tf.Tensor2D;
  norm: tf.Tensor1D;
  layers: DecoderLayer[];
}

/** Per-layer keys and values, [B*Hkv, Tc, head_dim] each. */
export interface KvCache {
  k: tf.Tensor3D[];
  v: tf.Tensor3D[];
}

/** Training-time state: LoRA dropout draws its masks from this counter. */
export interface TrainCtx {
  seed: number;
}

/** x @ w for a frozen w: the gradient flows to x only (no product is spent on w). */
function mmFrozen(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((...args: unknown[]) => {
    const [xi, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([]);
    return { value: tf.matMul(xi, w), gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(w))] };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

export function linear(x: tf.Tensor2D, l: Linear, train?: TrainCtx): tf.Tensor2D {
  let y = mmFrozen(x, l.wT);
  if (l.bias) y = y.add(l.bias);
  if (l.lora) {
    const { a, b, scale, dropout } = l.lora;
    const xin = train && dropout > 0 ? (tf.dropout(x, dropout, undefined, train.seed++) as tf.Tensor2D) : x;
    y = y.add(mm(mm(xin, a), b).mul(scale));
  }
  return y;
}

export function rmsNorm(x: tf.Tensor, w: tf.Tensor1D, eps: number): tf.Tensor {
  // the fused webgpu kernel; elsewhere the plain ops, whose bits the parity fixtures hold
  if (fusedOn()) return fusedRmsNorm(x, w, eps);
  return x.mul(tf.rsqrt(tf.mean(tf.square(x), -1, true).add(eps))).mul(w);
}

/** q·cos + rotate_half(q)·sin on x [N, heads, dim] with tables [N, 1, dim]. */
function applyRope(x: tf.Tensor3D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor3D {
  const fused = fusedRope(x, cos, sin);
  if (fused) return fused;
  const half = x.shape[2] / 2;
  const [x1, x2] = tf.split(x, [half, half], 2);
  return x.mul(cos).add(tf.concat([tf.neg(x2), x1], 2).mul(sin)) as tf.Tensor3D;
}

function embed(w: DecoderWeights, flatIds: tf.Tensor1D): tf.Tensor2D {
  return w.embed ? tf.gather(w.embed, flatIds) : (tf.transpose(tf.gather(w.headT, flatIds, 1)) as tf.Tensor2D);
}

export interface DecoderInput {
  /** [B, T] int32 */
  ids: tf.Tensor2D;
  /** Position of each token [B*T] (left padding shifts them). */
  positions: Int32Array;
  /** Additive attention bias [B or 1, 1, T, Tk], 0 or −1e9 (causal and padding). */
  bias: tf.Tensor4D;
  cache?: KvCache;
  /** Logits of each row's last position only ([B, V] instead of [B*T, V]). */
  lastOnly?: boolean;
  train?: TrainCtx;
  /** Run the base weights only (LoRA factors ignored): the reference policy of a LoRA run. */
  noAdapters?: boolean;
}

export function decoderLogits(w: DecoderWeights, cfg: DecoderConfig, x: DecoderInput): tf.Tensor2D {
  const [B, T] = x.ids.shape;
  const { num_attention_heads: H, num_key_value_heads: Hkv, head_dim: hd, hidden_size: d, rms_norm_eps: eps } = cfg;
  const g = H / Hkv;
  if (x.positions.length !== B * T) throw new ShapeError('positions', `[${B * T}]`, [x.positions.length]);
  const { cos: cosA, sin: sinA } = ropeTables(cfg.rope, x.positions);
  const cos = tf.tensor3d(cosA, [B * T, 1, hd]);
  const sin = tf.tensor3d(sinA, [B * T, 1, hd]);
  let h = embed(w, x.ids.reshape([B * T]) as tf.Tensor1D); // [B*T, d]
  const scale = 1 / Math.sqrt(hd);
  const lin = (v: tf.Tensor2D, l: Linear) => linear(v, x.noAdapters ? { wT: l.wT, bias: l.bias } : l, x.train);
  w.layers.forEach((L, l) => {
    const a = rmsNorm(h, L.input_layernorm, eps) as tf.Tensor2D;
    let q = lin(a, L.q_proj).reshape([B * T, H, hd]) as tf.Tensor3D;
    let k = lin(a, L.k_proj).reshape([B * T, Hkv, hd]) as tf.Tensor3D;
    const v = lin(a, L.v_proj).reshape([B, T, Hkv, hd]);
    if (L.q_norm && L.k_norm) {
      q = rmsNorm(q, L.q_norm, eps) as tf.Tensor3D;
      k = rmsNorm(k, L.k_norm, eps) as tf.Tensor3D;
    }
    q = applyRope(q, cos, sin);
    k = applyRope(k, cos, sin);
    // query head h reads kv head floor(h / g): group the g query heads of a kv head along the time axis
    const q3 = q.reshape([B, T, Hkv, g, hd]).transpose([0, 2, 3, 1, 4]).reshape([B * Hkv, g * T, hd]) as tf.Tensor3D;
    let k3 = k.reshape([B, T, Hkv, hd]).transpose([0, 2, 1, 3]).reshape([B * Hkv, T, hd]) as tf.Tensor3D;
    let v3 = v.transpose([0, 2, 1, 3]).reshape([B * Hkv, T, hd]) as tf.Tensor3D;
    if (x.cache) {
      if (x.cache.k[l]) {
        const [kOld, vOld] = [x.cache.k[l], x.cache.v[l]];
        k3 = tf.concat([kOld, k3], 1);
        v3 = tf.concat([vOld, v3], 1);
        kOld.dispose();
        vOld.dispose();
      }
      x.cache.k[l] = tf.keep(k3);
      x.cache.v[l] = tf.keep(v3);
    }
    const Tk = k3.shape[1];
    const att = tf.matMul(q3, k3, false, true).mul(scale).reshape([B, H, T, Tk]).add(x.bias);
    const probs = tf.softmax(att).reshape([B * Hkv, g * T, Tk]) as tf.Tensor3D;
    const y = tf
      .matMul(probs, v3) // [B*Hkv, g*T, hd]
      .reshape([B, Hkv, g, T, hd])
      .transpose([0, 3, 1, 2, 4])
      .reshape([B * T, H * hd]) as tf.Tensor2D;
    h = h.add(lin(y, L.o_proj));
    const m = rmsNorm(h, L.post_attention_layernorm, eps) as tf.Tensor2D;
    const gate = lin(m, L.gate_proj);
    h = h.add(lin(gate.mul(tf.sigmoid(gate)).mul(lin(m, L.up_proj)) as tf.Tensor2D, L.down_proj));
  });
  if (x.lastOnly) h = h.reshape([B, T, d]).slice([0, T - 1, 0], [B, 1, d]).reshape([B, d]);
  return mmFrozen(rmsNorm(h, w.norm, eps) as tf.Tensor2D, w.headT);
}

/** Every tensor of the weights, LoRA factors included. */
export function decoderTensors(w: DecoderWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [w.headT, w.norm, ...(w.embed ? [w.embed] : [])];
  for (const L of w.layers) {
    out.push(L.input_layernorm, L.post_attention_layernorm, ...(L.q_norm ? [L.q_norm] : []), ...(L.k_norm ? [L.k_norm] : []));
    for (const n of LINEAR_NAMES) {
      const lin = L[n];
      out.push(lin.wT, ...(lin.bias ? [lin.bias] : []), ...(lin.lora ? [lin.lora.a, lin.lora.b] : []));
    }
  }
  return out;
}
