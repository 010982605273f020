// The one model interface that the sampler, the trainers, the eval engine and the server use: a causal LM
// that gives logits for a batch (continuing a KV cache or not), log-probs of targets, and names the variables a
// train step updates. Implemented by our GPT (lm.ts) and the Hugging Face decoders (hf-model.ts).

import * as tf from '@tensorflow/tfjs';
import type { KvCache } from './decoder.js';
import type { Params } from './gpt.js';
import type { TokenScores } from './vocab-loss.js';

export type { KvCache } from './decoder.js';
export type { TokenScores } from './vocab-loss.js';

export interface LmInfo {
  /** Registry name: gpt, llama, qwen2, qwen3. */
  arch: string;
  vocab_size: number;
  /** Longest sequence the model takes: context_length for learned positions, Infinity for RoPE models. */
  max_context: number;
  /** Tokens that end a completion (generation_config.json's, else config.json's). */
  eos_token_ids: number[];
}

export interface StepInput {
  /** [B, T] int32 */
  ids: tf.Tensor2D;
  /** Position of each token [B*T]. */
  positions: Int32Array;
  /** Additive attention bias [B, 1, T, Tk] (0 or −1e9). */
  bias: tf.Tensor4D;
  cache?: KvCache;
  /** Only the last position of each row: [B, V]. */
  lastOnly?: boolean;
}

export interface ScoreOptions {
  /** Dropout on, its masks drawn from seed. */
  train?: boolean;
  seed?: number;
  /** The logits are divided by it (GRPO scores at the sampling temperature, as TRL does). */
  temperature?: number;
  /** Also the entropy of each position's distribution (no gradient). */
  entropy?: boolean;
}

export interface CausalLM {
  readonly config: LmInfo;
  /** The variables a train step updates (all of GPT's; a Hugging Face model's LoRA factors), by name. */
  readonly trainable: Params;
  /** Logits [B*T, V] (or [B, V] with lastOnly); appends this step's keys and values to the cache. */
  step(x: StepInput): tf.Tensor2D;
  /** Logits [B*T, V] of right-padded sequences [B, T] that start at position 0; train turns dropout on, its masks drawn from seed. */
  forward(ids: tf.Tensor2D, opts?: { train?: boolean; seed?: number }): tf.Tensor2D;
  /**
   * log p(target) per position [B*T] of sequences [B, T] and their next tokens [B*T], computed over the vocabulary
   * in chunks of rows, never holding the [B*T, V] logits. Absent: the trainers take the logits from forward (our
   * GPT, whose vocabulary is small).
   */
  targetLogprobs?(ids: tf.Tensor2D, targets: tf.Tensor1D, opts?: ScoreOptions): TokenScores;
  dispose(): void;
}

/** Positions 0..T−1 for every row, [B*T]. */
export function rangePositions(B: number, T: number): Int32Array {
  const p = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p[b * T + t] = t;
  return p;
}
