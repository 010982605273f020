// Local batched sampling with a KV cache: left-padded prompts, temperature and top-p, seeded choices made
// in JS (so runs are reproducible on every backend), stop at eos or max_tokens.

import * as tf from '@tensorflow/tfjs';
import { hidden, head, type GptConfig, type KvCache, type Params } from '../model/gpt.js';
import type { Rng } from '../util/rng.js';
import { InputError } from '../util/errors.js';

export interface SamplingParams {
  temperature: number;
  top_p: number;
  /** Keep only the k most likely tokens before top-p (transformers' order); 0 or absent: off. */
  top_k?: number;
  max_tokens: number;
}

export interface SampleResult {
  /** Completion token ids, eos included when it was produced. */
  tokens: number[];
  /** True when the completion ended with eos (false: cut at max_tokens or the context length). */
  finished: boolean;
  /** log p of each chosen token under the model's distribution at temperature 1. */
  logprobs: number[];
}

function logSoftmaxAt(logits: Float32Array, i: number): number {
  let max = -Infinity;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, logits[k]);
  let z = 0;
  for (let k = 0; k < logits.length; k++) z += Math.exp(logits[k] - max);
  return logits[i] - max - Math.log(z);
}

/** Picks a token from logits [V]: greedy at temperature 0, else softmax(logits / T) restricted to the top k, then the top-p mass. */
export function pickToken(logits: Float32Array | number[], s: Pick<SamplingParams, 'temperature' | 'top_p' | 'top_k'>, rng: Rng): number {
  const V = logits.length;
  if (s.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
  const probs = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += probs[i] = Math.exp((logits[i] - max) / s.temperature);
  for (let i = 0; i < V; i++) probs[i] /= z;
  let order: number[] = Array.from({ length: V }, (_, i) => i);
  const topK = s.top_k && s.top_k < V ? s.top_k : 0;
  z = 1;
  if (topK || s.top_p < 1) order.sort((a, b) => probs[b] - probs[a] || a - b);
  if (topK) {
    order = order.slice(0, topK);
    z = order.reduce((m, i) => m + probs[i], 0);
  }
  if (s.top_p < 1) {
    let mass = 0;
    let cut = 0;
    while (cut < order.length && mass < s.top_p * z) mass += probs[order[cut++]];
    order = order.slice(0, cut);
    z = mass;
  }
  let r = rng.next() * z;
  for (const i of order) {
    r -= probs[i];
    if (r < 0) return i;
  }
  return order[order.length - 1];
}

/**
 * Samples one completion per prompt, all prompts in one batch. With one Rng per row, each row's choices
 * depend only on its own stream, so a row gives the same completion in any batch.
 */
export function sampleBatch(p: Params, cfg: GptConfig, prompts: readonly number[][], s: SamplingParams, eos: number | readonly number[], pad: number, rng: Rng | readonly Rng[]): SampleResult[] {
  const eosIds = new Set(typeof eos === 'number' ? [eos] : eos);
  const rowRng = (b: number) => (Array.isArray(rng) ? (rng as readonly Rng[])[b] : (rng as Rng));
  const B = prompts.length;
  const Tp = Math.max(...prompts.map((x) => x.length));
  const maxNew = Math.min(s.max_tokens, cfg.context_length - Tp);
  if (maxNew <= 0) throw new InputError(`prompt of ${Tp} tokens leaves no room in the context of ${cfg.context_length}`, { hint: 'shorten the prompt or raise context_length' });
  const Ttot = Tp + maxNew;
  const padN = prompts.map((x) => Tp - x.length);
  // additive key bias for every position the generation can reach: -1e9 on left padding
  const keyBias = new Float32Array(B * Ttot);
  for (let b = 0; b < B; b++) for (let t = 0; t < padN[b]; t++) keyBias[b * Ttot + t] = -1e9;

  const cache: KvCache = { k: [], v: [] };
  const out: SampleResult[] = prompts.map(() => ({ tokens: [], finished: false, logprobs: [] }));
  try {
    let logits = tf.tidy(() => {
      const ids = new Int32Array(B * Tp).fill(pad);
      const pos = new Int32Array(B * Tp);
      const bias = new Float32Array(B * Tp * Tp);
      for (let b = 0; b < B; b++) {
        ids.set(prompts[b], b * Tp + padN[b]);
        for (let t = 0; t < Tp; t++) pos[b * Tp + t] = Math.max(0, t - padN[b]);
        for (let i = 0; i < Tp; i++)
          for (let j = 0; j < Tp; j++) bias[(b * Tp + i) * Tp + j] = j > i ? -1e9 : keyBias[b * Ttot + j];
      }
      const h = hidden(p, cfg, tf.tensor2d(ids, [B, Tp], 'int32'), tf.tensor2d(pos, [B, Tp], 'int32'), tf.tensor4d(bias, [B, 1, Tp, Tp]), cache);
      const last = h.reshape([B, Tp, cfg.d_model]).slice([0, Tp - 1, 0], [B, 1, cfg.d_model]).reshape([B, cfg.d_model]) as tf.Tensor2D;
      return head(p, last);
    });
    const V = cfg.vocab_size;
    for (let step = 0; step < maxNew; step++) {
      const lv = logits.dataSync() as Float32Array;
      logits.dispose();
      const next = new Int32Array(B);
      let alive = 0;
      for (let b = 0; b < B; b++) {
        if (out[b].finished) {
          next[b] = pad;
          continue;
        }
        const row = lv.subarray(b * V, (b + 1) * V);
        const id = pickToken(row, s, rowRng(b));
        out[b].tokens.push(id);
        out[b].logprobs.push(logSoftmaxAt(row, id));
        next[b] = id;
        if (eosIds.has(id)) out[b].finished = true;
        else alive++;
      }
      if (alive === 0 || step === maxNew - 1) break;
      const t = Tp + step; // position index of the token being fed
      logits = tf.tidy(() => {
        const pos = new Int32Array(B);
        const bias = new Float32Array(B * (t + 1));
        for (let b = 0; b < B; b++) {
          pos[b] = t - padN[b];
          bias.set(keyBias.subarray(b * Ttot, b * Ttot + t + 1), b * (t + 1));
        }
        const h = hidden(p, cfg, tf.tensor2d(next, [B, 1], 'int32'), tf.tensor2d(pos, [B, 1], 'int32'), tf.tensor4d(bias, [B, 1, 1, t + 1]), cache);
        return head(p, h);
      });
    }
  } finally {
    for (const t of [...cache.k, ...cache.v]) t?.dispose();
  }
  return out;
}
