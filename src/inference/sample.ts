// Local batched sampling for any CausalLM, with a KV cache: left-padded prompts, temperature, top-k and top-p,
// seeded choices made in JS (so runs are reproducible on every backend, and a row with its own Rng gives the same
// completion in any batch), stop at one of the model's eos ids, a stop string, or max_tokens.

import * as tf from '@tensorflow/tfjs';
import type { CausalLM, KvCache } from '../model/causal-lm.js';
import type { Rng } from '../util/rng.js';
import { InputError } from '../util/errors.js';

export interface SamplingParams {
  temperature: number;
  top_p: number;
  max_tokens: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  top_k?: number;
}

export interface SampleOptions {
  /** A row stops once its decoded completion contains one of these (the caller cuts the text). */
  stop?: readonly string[];
  decode?: (ids: number[]) => string;
  /** false: recompute every position at each step (the reference for the cached path). */
  cache?: boolean;
}

export interface SampleResult {
  /** Completion token ids, eos included when it was produced. */
  tokens: number[];
  /** True when the completion ended with eos or a stop string (false: cut at max_tokens or the context length). */
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

/** Picks a token from logits [V]: greedy at temperature 0, else softmax(logits / T) cut to the top k, then to the top-p mass. */
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
  const k = s.top_k && s.top_k > 0 && s.top_k < V ? s.top_k : 0;
  if (s.top_p < 1 || k) {
    order.sort((a, b) => probs[b] - probs[a] || a - b);
    if (k) order = order.slice(0, k);
    const kept = k ? order.reduce((m, i) => m + probs[i], 0) : 1;
    let mass = 0;
    let cut = 0;
    if (s.top_p < 1) while (cut < order.length && mass < s.top_p * kept) mass += probs[order[cut++]];
    else [cut, mass] = [order.length, kept];
    order = order.slice(0, cut);
    z = mass;
  } else z = 1;
  let r = rng.next() * z;
  for (const i of order) {
    r -= probs[i];
    if (r < 0) return i;
  }
  return order[order.length - 1];
}

/** Additive bias [B, 1, Tq, Tk] for queries at key positions from q0: causal, and −1e9 on each row's left padding. */
function attnBias(B: number, q0: number, Tq: number, Tk: number, padN: readonly number[]): tf.Tensor4D {
  const bias = new Float32Array(B * Tq * Tk);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Tq; i++)
      for (let j = 0; j < Tk; j++) if (j > q0 + i || j < padN[b]) bias[(b * Tq + i) * Tk + j] = -1e9;
  return tf.tensor4d(bias, [B, 1, Tq, Tk]);
}

/** ids [B, T] and positions of the sequence slice [t0, t0+T) of left-padded rows. */
function slice(seqs: readonly Int32Array[], t0: number, T: number, padN: readonly number[]) {
  const B = seqs.length;
  const ids = new Int32Array(B * T);
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      ids[b * T + t] = seqs[b][t0 + t];
      pos[b * T + t] = Math.max(0, t0 + t - padN[b]);
    }
  return { ids: tf.tensor2d(ids, [B, T], 'int32'), positions: pos };
}

/**
 * Samples one completion per prompt, all prompts in one batch; pass one Rng per row for per-row seeds.
 * Async because the logits are read back with data(): webgpu in Node has no synchronous read.
 */
export async function sampleBatch(lm: CausalLM, prompts: readonly number[][], s: SamplingParams, eos: number | readonly number[], pad: number, rng: Rng | readonly Rng[], opts: SampleOptions = {}): Promise<SampleResult[]> {
  const rowRng = (b: number) => (Array.isArray(rng) ? (rng as readonly Rng[])[b] : (rng as Rng));
  const eosIds = new Set(typeof eos === 'number' ? [eos] : eos);
  const B = prompts.length;
  const Tp = Math.max(...prompts.map((x) => x.length));
  const ctx = lm.config.max_context;
  const maxNew = Math.min(s.max_tokens, ctx - Tp);
  if (maxNew <= 0) throw new InputError(`prompt of ${Tp} tokens leaves no room in the context of ${ctx}`, { hint: 'shorten the prompt or raise context_length' });
  const padN = prompts.map((x) => Tp - x.length);
  const seqs = prompts.map((x, b) => {
    const a = new Int32Array(Tp + maxNew).fill(pad);
    a.set(x, padN[b]);
    return a;
  });
  const useCache = opts.cache !== false;
  const cache: KvCache = { k: [], v: [] };
  const out: SampleResult[] = prompts.map(() => ({ tokens: [], finished: false, logprobs: [] }));
  try {
    let logits = tf.tidy(() => lm.step({ ...slice(seqs, 0, Tp, padN), bias: attnBias(B, 0, Tp, Tp, padN), cache: useCache ? cache : undefined, lastOnly: true }));
    const V = lm.config.vocab_size;
    for (let step = 0; step < maxNew; step++) {
      const lv = (await logits.data()) as Float32Array;
      logits.dispose();
      let alive = 0;
      const t = Tp + step; // position index of the token being chosen
      for (let b = 0; b < B; b++) {
        if (out[b].finished) continue;
        const row = lv.subarray(b * V, (b + 1) * V);
        const id = pickToken(row, s, rowRng(b));
        out[b].tokens.push(id);
        out[b].logprobs.push(logSoftmaxAt(row, id));
        seqs[b][t] = id;
        if (eosIds.has(id) || (opts.stop?.length && opts.decode && stopHit(opts.decode(out[b].tokens), opts.stop))) out[b].finished = true;
        else alive++;
      }
      if (alive === 0 || step === maxNew - 1) break;
      logits = tf.tidy(() =>
        useCache
          ? lm.step({ ...slice(seqs, t, 1, padN), bias: attnBias(B, t, 1, t + 1, padN), cache, lastOnly: true })
          : lm.step({ ...slice(seqs, 0, t + 1, padN), bias: attnBias(B, 0, t + 1, t + 1, padN), lastOnly: true }),
      );
    }
  } finally {
    for (const t of [...cache.k, ...cache.v]) t?.dispose();
  }
  return out;
}

function stopHit(text: string, stop: readonly string[]): boolean {
  return stop.some((x) => x !== '' && text.includes(x));
}
