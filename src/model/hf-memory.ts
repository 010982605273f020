// What a Hugging Face decoder needs in memory beyond its weights, estimated from the config before a forward pass,
// a sampling step or a training step runs, so that one that cannot fit the wasm heap is refused with its sizes
// instead of dying inside tfjs ("memory access out of bounds", after which the wasm module is unusable).
// The counts follow decoder.ts: a layer runs in its own tf.tidy, so inference holds one layer's intermediates at a
// time; a training step keeps each layer's input only and recomputes its activations in the backward pass (decoder.ts'
// gradient checkpointing), so it holds one layer's activations and their gradients at a time; and the loss, taken
// over the vocabulary in chunks of rows (vocab-loss.ts), holds several [rows, V] arrays of one chunk at a time (over
// the whole logits, as forward() hands them out, several [N, V] copies).
// An estimate for refusing what cannot fit; tests hold it within a factor of tfjs' measured peak.

import * as tf from '@tensorflow/tfjs';
import { RepriseError } from '../util/errors.js';
import type { DecoderConfig } from './hf-config.js';
import { expectedTensors, WASM_HEAP_BYTES } from './hf-weights.js';
import { GRAD_ROW_CHUNK } from './decoder.js';
const F32 = 4;
/**
 * [N, V] copies a training step holds at its peak for a loss over the whole logits (forward() and a cross-entropy):
 * the head's product and its transpose, the log-softmax's shifted, exponentiated and final arrays, the one-hot and
 * its casts, the gradient. Measured on the Qwen2.5-0.5B shape (1 × 64 tokens, LoRA, checkpointing): 0.30 GiB beyond
 * the weights, about 8 × N·V·4 bytes. (An earlier count of 20 included a copy of the embedding table that gather's
 * tape record kept; decoder.ts' embedRows keeps that lookup off the tape.)
 */
export const LOSS_LOGIT_COPIES = 8;
/**
 * [rows, V] copies of one chunk of the loss over the vocabulary in chunks (vocab-loss.ts) at its peak, the backward
 * pass's: the recomputed product and its transpose, the log-softmax's shifted, exponentiated and final arrays, its
 * exp, the one-hot and its casts, their difference and its product with the upstream gradient; measured 8 (10 with
 * a temperature) on the Qwen2.5-0.5B shape's head.
 */
export const LOSS_CHUNK_COPIES = 10;
/** … and its forward without a gradient, the entropy included. */
export const SCORE_CHUNK_COPIES = 7;
/** … and log-probs without a gradient (the head's product and its transpose, shifted, exp, log-softmax, one-hot, its cast, product). */
export const LOGPROB_LOGIT_COPIES = 8;
/**
 * A backward pass holds the gradient of every intermediate until it ends, and tfjs copies several (measured on the
 * fixtures: 2.3–2.6 × the forward's activations; 2.5 left the Qwen2.5-0.5B shape's steps of 2 × 512 and 1 × 1024
 * tokens 1–3% under their measured peaks).
 */
const BACKWARD_FACTOR = 2.75;
/**
 * Heap kept free beyond the tensors counted: its fragmentation and XNNPACK's packed operands, which tfjs does not
 * count. A Qwen2.5-0.5B-shaped step of 1 × 1024 tokens whose tensors peaked at 3.87 GiB grew the heap to its cap.
 */
export const HEAP_HEADROOM_BYTES = 128 * 2 ** 20;
/** A prefill is cut into chunks of positions whose layer activations stay under this. */
export const PREFILL_BUDGET_BYTES = 256 * 2 ** 20;

export interface MemoryPart {
  what: string;
  bytes: number;
}

export function weightBytes(c: DecoderConfig): number {
  let n = 0;
  for (const shape of expectedTensors(c).values()) n += shape.reduce((a, b) => a * b, 1);
  return F32 * n;
}

/** Bytes of every intermediate of one decoder layer over B rows of Tq new tokens attending to Tk keys. */
export function layerBytes(c: DecoderConfig, B: number, Tq: number, Tk: number, loraRank = 0): number {
  const { hidden_size: d, intermediate_size: I, num_attention_heads: H, num_key_value_heads: Hkv, head_dim: hd } = c;
  const N = B * Tq;
  const qk = c.qk_norm ? 3 : 0; // RMSNorm: square, product, weighted product
  const q = N * H * hd * (1 + (c.qkv_bias ? 1 : 0) + qk + 5.5 + 1 + 2); // projection, bias, norm, RoPE, head-major copy, A·V and its transpose
  const kv = N * Hkv * hd * (1 + (c.qkv_bias ? 1 : 0) + qk + 5.5 + 1) + N * Hkv * hd * (2 + (c.qkv_bias ? 1 : 0));
  const cache = 2 * B * Hkv * Tk * hd; // this step's keys and values concatenated to the cache's
  const scores = 4 * B * H * Tq * Tk; // QKᵀ, scaled, masked, softmax
  const residual = N * d * (3 + 2 + 3 + 2); // two RMSNorms, o_proj and down_proj with their residual adds
  const mlp = 5 * N * I; // gate, sigmoid, gate·σ, up, product
  const lora = loraRank ? 7 * 3 * N * loraRank : 0;
  return F32 * (q + kv + cache + scores + residual + mlp + lora);
}

/** The KV cache of B rows of Tk positions. */
export function kvCacheBytes(c: DecoderConfig, B: number, Tk: number): number {
  return F32 * 2 * c.num_hidden_layers * B * c.num_key_value_heads * Tk * c.head_dim;
}

/** Beyond what is already held: one forward (or prefill / decode step) over B rows of Tq tokens after `cached` ones; logitCopies [rows, V] arrays (a log-softmax over them holds several). */
export function forwardParts(c: DecoderConfig, B: number, Tq: number, o: { cached?: number; lastOnly?: boolean; loraRank?: number; logitCopies?: number; logitRows?: number } = {}): MemoryPart[] {
  const Tk = (o.cached ?? 0) + Tq;
  const N = B * Tq;
  const rows = o.logitRows ?? (o.lastOnly ? B : N);
  const copies = o.logitCopies ?? 1;
  const logits = o.logitRows === undefined ? `the logits [${rows}, ${c.vocab_size}]` : `the logits in chunks of ${rows} rows [${rows}, ${c.vocab_size}]`;
  return [
    { what: `one layer's activations (${B} × ${Tq} tokens attending to ${Tk})`, bytes: layerBytes(c, B, Tq, Tk, o.loraRank) },
    { what: `the hidden states of ${c.num_hidden_layers} layers`, bytes: F32 * (c.num_hidden_layers + 3) * N * c.hidden_size },
    { what: `${logits}${copies > 1 ? ` and a log-softmax over them (${copies} copies)` : ''} and the head's product`, bytes: F32 * (copies + 1) * rows * c.vocab_size },
  ];
}

/** Positions per prefill chunk: the whole of T when it fits PREFILL_BUDGET_BYTES, else the largest power of two that does (at least 1). */
export function prefillChunk(c: DecoderConfig, B: number, T: number, Tk: number, loraRank?: number, budget = PREFILL_BUDGET_BYTES): number {
  if (layerBytes(c, B, T, Tk, loraRank) <= budget) return T;
  let n = 2 ** Math.floor(Math.log2(T));
  while (n > 1 && layerBytes(c, B, n, Tk, loraRank) > budget) n /= 2;
  return n;
}

/**
 * Beyond the weights: a training step (forward, loss over the logits, backward) on B rows of T tokens; LoRA factors
 * of rank r on `adapted` layers, with gradients and two AdamW moments. lossRows: the loss is taken over the
 * vocabulary in chunks of that many rows (vocab-loss.ts); absent, over the whole [N, V] logits.
 */
export function trainStepParts(c: DecoderConfig, B: number, T: number, lora: { rank: number; params: number; lossRows?: number }): MemoryPart[] {
  const N = B * T;
  const layer = layerBytes(c, B, T, T, lora.rank);
  const rows = lora.lossRows === undefined ? N : Math.min(N, lora.lossRows);
  const loss =
    lora.lossRows === undefined
      ? { what: `the loss over the logits (${LOSS_LOGIT_COPIES} copies of [${N}, ${c.vocab_size}])`, bytes: F32 * LOSS_LOGIT_COPIES * N * c.vocab_size + F32 * 6 * N * c.hidden_size }
      : { what: `the loss over the vocabulary in chunks of ${rows} rows (${LOSS_CHUNK_COPIES} copies of [${rows}, ${c.vocab_size}])`, bytes: F32 * LOSS_CHUNK_COPIES * rows * c.vocab_size + F32 * 6 * N * c.hidden_size };
  return [
    { what: `the inputs of ${c.num_hidden_layers} layers kept for the backward pass and their gradients (${B} × ${T} tokens)`, bytes: F32 * 2 * c.num_hidden_layers * N * c.hidden_size },
    { what: "one layer's activations, recomputed, and its backward pass", bytes: (1 + BACKWARD_FACTOR) * layer },
    loss,
    { what: `${lora.params} trainable parameters, their gradients and 2 AdamW moments`, bytes: F32 * 4 * lora.params },
    { what: "a frozen weight's transient copies in the backward pass", bytes: F32 * 2 * Math.max(c.intermediate_size * c.hidden_size, c.num_attention_heads * c.head_dim * c.hidden_size, Math.min(c.vocab_size, GRAD_ROW_CHUNK) * (c.hidden_size + rows)) },
  ];
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** The heap the current backend allocates tensors from, or undefined when it has no fixed cap (cpu, webgpu). */
export function heapCap(): number | undefined {
  return tf.getBackend() === 'wasm' ? WASM_HEAP_BYTES : undefined;
}

/** Throws E_MEMORY when what is held plus the parts exceeds the heap: each part with its size, and what to lower. */
export function assertFits(action: string, parts: MemoryPart[], lower: string, held = tf.memory().numBytes, cap = heapCap()): void {
  if (cap === undefined) return;
  const all = [...parts, { what: "headroom for the heap's fragmentation", bytes: HEAP_HEADROOM_BYTES }];
  const need = held + all.reduce((a, p) => a + p.bytes, 0);
  if (need <= cap) return;
  const list = [`tensors already held (weights, caches): ${gib(held)}`, ...all.map((p) => `${p.what}: ${gib(p.bytes)}`)].join('; ');
  throw new RepriseError('E_MEMORY', `${action} needs about ${gib(need)} (${list}) but the wasm heap holds ${gib(cap)}`, lower);
}
