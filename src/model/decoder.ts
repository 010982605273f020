// The Llama-family decoder (llama, qwen2, qwen3) in tfjs: RMSNorm, RoPE, grouped-query attention with an
// optional KV cache, SwiGLU, tied or untied head, optional q/k/v biases and q/k norms, LoRA on any linear layer.
// Frozen weights are plain tensors held once, as the checkpoint stores them ([out, in]); only LoRA factors are
// variables. A frozen product x Wᵀ is computed as (W xᵀ)ᵀ: tfjs-wasm hands the second operand of a rank-2 matMul
// to XNNPACK, which keeps a packed copy of it for as long as the tensor lives, so a weight passed there would be
// held twice (a 0.5B model: 1.8 GiB more); as the first operand it is read in place, and only the small xᵀ is packed.
// Every product stays a rank-2 matMul without transpose flags (TFJS-NOTES.md).

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
  /** [out, in], as in the checkpoint. */
  w: tf.Tensor2D;
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
  /** [V, d]; also the output head when the embedding is tied. */
  embed: tf.Tensor2D;
  /** [V, d] (lm_head.weight); absent when tied. */
  head?: tf.Tensor2D;
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

/** (a bᵀ)ᵀ with a [m, k] held in place and only bᵀ [k, n] packed: [n, m]. */
export const productT = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.transpose(tf.matMul(a, tf.transpose(b))) as tf.Tensor2D;

/** Rows of a frozen weight per product in a backward pass (the output head has vocab_size rows). */
export const GRAD_ROW_CHUNK = 8192;

/** dy w for dy [N, out] and a frozen w [out, in], never with w itself as the packed operand: (wᵀ dyᵀ)ᵀ with a transient wᵀ, or summed over row blocks of w (fresh slices) when w is tall, so no [in, out] copy of the head is made. */
export function gradInput(dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [out] = w.shape;
  if (out <= GRAD_ROW_CHUNK) return productT(tf.transpose(w) as tf.Tensor2D, dy);
  let dx: tf.Tensor2D | undefined;
  for (let r0 = 0; r0 < out; r0 += GRAD_ROW_CHUNK) {
    const n = Math.min(GRAD_ROW_CHUNK, out - r0);
    const prev = dx;
    dx = tf.tidy(() => {
      const part = tf.matMul(dy.slice([0, r0], [-1, n]), w.slice([r0, 0], [n, -1])) as tf.Tensor2D;
      return prev ? (prev.add(part) as tf.Tensor2D) : part;
    });
    prev?.dispose();
  }
  return dx!;
}

/** x wᵀ for a frozen w [out, in]: the gradient flows to x only. */
export function mmFrozen(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((...args: unknown[]) => {
    const [xi, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([]);
    return { value: productT(w, xi), gradFunc: (dy: tf.Tensor) => [gradInput(dy as tf.Tensor2D, w)] };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

export function linear(x: tf.Tensor2D, l: Linear, train?: TrainCtx): tf.Tensor2D {
  let y = mmFrozen(x, l.w);
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

/** What every layer of one call shares. */
interface LayerRun {
  B: number;
  T: number;
  /** RoPE tables [B*T, 1, head_dim]. */
  cos: tf.Tensor;
  sin: tf.Tensor;
  bias: tf.Tensor4D;
  cache?: KvCache;
  noAdapters?: boolean;
}

function decoderLayer(cfg: DecoderConfig, L: DecoderLayer, l: number, h: tf.Tensor2D, r: LayerRun, train?: TrainCtx): tf.Tensor2D {
  const { B, T, cos, sin } = r;
  const { num_attention_heads: H, num_key_value_heads: Hkv, head_dim: hd, rms_norm_eps: eps } = cfg;
  const g = H / Hkv;
  const lin = (v: tf.Tensor2D, x: Linear) => linear(v, r.noAdapters ? { w: x.w, bias: x.bias } : x, train);
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
  if (r.cache) {
    if (r.cache.k[l]) {
      const [kOld, vOld] = [r.cache.k[l], r.cache.v[l]];
      k3 = tf.concat([kOld, k3], 1);
      v3 = tf.concat([vOld, v3], 1);
      kOld.dispose();
      vOld.dispose();
    }
    r.cache.k[l] = tf.keep(k3);
    r.cache.v[l] = tf.keep(v3);
  }
  const Tk = k3.shape[1];
  const att = tf.matMul(q3, k3, false, true).mul(1 / Math.sqrt(hd)).reshape([B, H, T, Tk]).add(r.bias);
  const probs = tf.softmax(att).reshape([B * Hkv, g * T, Tk]) as tf.Tensor3D;
  const y = tf
    .matMul(probs, v3) // [B*Hkv, g*T, hd]
    .reshape([B, Hkv, g, T, hd])
    .transpose([0, 3, 1, 2, 4])
    .reshape([B * T, H * hd]) as tf.Tensor2D;
  const res = h.add(lin(y, L.o_proj));
  const m = rmsNorm(res, L.post_attention_layernorm, eps) as tf.Tensor2D;
  const gate = lin(m, L.gate_proj);
  return res.add(lin(gate.mul(tf.sigmoid(gate)).mul(lin(m, L.up_proj)) as tf.Tensor2D, L.down_proj)) as tf.Tensor2D;
}

type Tape = { state: { activeTape: unknown } };

/**
 * A layer under training whose activations are recomputed in the backward pass (gradient checkpointing): the tape
 * keeps only its input [N, d], so a step holds one layer's activations at a time instead of every layer's. The
 * recomputation replays the LoRA dropout masks from the same seeds. tfjs' gradients() replaces the engine's tape
 * when called inside a backward pass (no higher-order gradients are running), so the outer one is put back.
 */
function checkpointed(layer: (h: tf.Tensor2D, train: TrainCtx, r: LayerRun) => tf.Tensor2D, h: tf.Tensor2D, vars: tf.Variable[], train: TrainCtx, r: LayerRun): tf.Tensor2D {
  const seed = train.seed;
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const hIn = args[0] as tf.Tensor2D;
    // the tables and the mask too: the caller's scope may dispose them before the backward pass
    save([hIn, r.cos, r.sin, r.bias]);
    const value = tf.tidy(() => layer(hIn, train, r));
    return {
      value,
      gradFunc: (dy: tf.Tensor, [hSaved, cos, sin, bias]: tf.Tensor[]) => {
        const engine = tf.engine() as unknown as Tape;
        const outer = engine.state.activeTape;
        try {
          const again = { ...r, cos, sin, bias: bias as tf.Tensor4D };
          const { value: y, grads } = tf.engine().gradients(() => layer(hSaved as tf.Tensor2D, { seed }, again), [hSaved, ...vars], dy);
          y.dispose();
          return grads;
        } finally {
          engine.state.activeTape = outer;
        }
      },
    };
  }) as never) as unknown as (...x: tf.Tensor[]) => tf.Tensor2D;
  return f(h, ...vars);
}

/**
 * Rows of the frozen embedding [V, d], kept off the tape: recorded there, gather would save a clone of its whole
 * input for a gradient that never flows to it, and wasm's clone copies (0.54 GiB for Qwen2.5-0.5B's table).
 */
function embedRows(embed: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad(((e: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: tf.gather(e, ids), gradFunc: (dy: tf.Tensor) => tf.zerosLike(e) };
  }) as never) as unknown as (e: tf.Tensor2D) => tf.Tensor2D;
  return f(embed);
}

const adapterVars = (L: DecoderLayer): tf.Variable[] => LINEAR_NAMES.flatMap((n) => (L[n].lora ? [L[n].lora!.a, L[n].lora!.b] : []));

export function decoderLogits(w: DecoderWeights, cfg: DecoderConfig, x: DecoderInput): tf.Tensor2D {
  return mmFrozen(decoderHidden(w, cfg, x), headOf(w));
}

/** The output head [V, d]: lm_head, or the embedding when tied. */
export const headOf = (w: DecoderWeights): tf.Tensor2D => w.head ?? w.embed;

/** The final hidden states after the last RMSNorm, [B*T, d] (or [B, d] with lastOnly): what the head multiplies. */
export function decoderHidden(w: DecoderWeights, cfg: DecoderConfig, x: DecoderInput): tf.Tensor2D {
  const [B, T] = x.ids.shape;
  const { head_dim: hd, hidden_size: d, rms_norm_eps: eps } = cfg;
  if (x.positions.length !== B * T) throw new ShapeError('positions', `[${B * T}]`, [x.positions.length]);
  const { cos: cosA, sin: sinA } = ropeTables(cfg.rope, x.positions);
  const run: LayerRun = { B, T, cos: tf.tensor3d(cosA, [B * T, 1, hd]), sin: tf.tensor3d(sinA, [B * T, 1, hd]), bias: x.bias, cache: x.cache, noAdapters: x.noAdapters };
  const flatIds = x.ids.reshape([B * T]) as tf.Tensor1D;
  // sampling with the KV cache records no gradients: the plain gather there, no custom-gradient op per token
  let h = x.cache ? (tf.gather(w.embed, flatIds) as tf.Tensor2D) : embedRows(w.embed, flatIds); // [B*T, d]
  // each layer in its own scope: inference holds one layer's intermediates at a time; training recomputes them
  w.layers.forEach((L, l) => {
    const layer = (hin: tf.Tensor2D, train: TrainCtx | undefined, r: LayerRun) => decoderLayer(cfg, L, l, hin, r, train);
    const prev = h;
    h = x.train && !x.cache ? checkpointed(layer, prev, x.noAdapters ? [] : adapterVars(L), x.train, run) : tf.tidy(() => layer(prev, x.train, run));
  });
  if (x.lastOnly) h = h.reshape([B, T, d]).slice([0, T - 1, 0], [B, 1, d]).reshape([B, d]);
  return rmsNorm(h, w.norm, eps) as tf.Tensor2D;
}

/** Every tensor of the weights, LoRA factors included. */
export function decoderTensors(w: DecoderWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [w.embed, w.norm, ...(w.head ? [w.head] : [])];
  for (const L of w.layers) {
    out.push(L.input_layernorm, L.post_attention_layernorm, ...(L.q_norm ? [L.q_norm] : []), ...(L.k_norm ? [L.k_norm] : []));
    for (const n of LINEAR_NAMES) {
      const lin = L[n];
      out.push(lin.w, ...(lin.bias ? [lin.bias] : []), ...(lin.lora ? [lin.lora.a, lin.lora.b] : []));
    }
  }
  return out;
}
