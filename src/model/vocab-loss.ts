// The output head and the loss over the vocabulary in chunks of rows: log p(target) of each position (and, when
// asked, the entropy of its distribution) from the final hidden states h [N, d] and a frozen head w [V, d], holding
// a few [rows, V] arrays at a time instead of the [N, V] logits (a Qwen vocabulary is 151,936 floats a row). The
// backward pass recomputes each chunk's logits from the saved h. Per row the ops are those of the unchunked path
// (logits / τ, logSoftmax, the target's entry), so the values are the same; the gradient is written out:
// d log p(t) / dz = onehot(t) − softmax(z). On webgpu the fused cross-entropy kernels do each chunk.

import * as tf from '@tensorflow/tfjs';
import { gradInput, productT } from './decoder.js';
import { fusedOn } from './kernels/fused.js';
import { runFused } from './kernels/webgpu-fused.js';
import { heapCap } from './hf-memory.js';

/**
 * One [rows, V] float32 array of a chunk is at most this on the wasm heap (4 GiB; a chunk holds several: see
 * hf-memory.ts), and LOSS_CHUNK_BYTES_UNCAPPED where the heap has no fixed cap (webgpu, cpu): there fewer, larger
 * chunks mean fewer dispatches (a Qwen step of 4 × 256 tokens on webgpu stays one chunk).
 */
export const LOSS_CHUNK_BYTES = 32 * 2 ** 20;
export const LOSS_CHUNK_BYTES_UNCAPPED = 2 ** 30;

/** Rows per chunk for a vocabulary of V tokens on the current backend. */
export const lossChunkRows = (V: number, budget = heapCap() === undefined ? LOSS_CHUNK_BYTES_UNCAPPED : LOSS_CHUNK_BYTES): number => Math.max(1, Math.floor(budget / (4 * V)));

export interface TokenScores {
  /** log p(target) per position [N], differentiable. */
  logp: tf.Tensor1D;
  /** Entropy per position [N] (no gradient), when asked. */
  entropy?: tf.Tensor1D;
}

export interface ChunkOptions {
  /** The logits are divided by it before the softmax (GRPO's sampling temperature). */
  temperature?: number;
  entropy?: boolean;
  /** Rows per chunk (default lossChunkRows(V)). */
  rows?: number;
}

/** Row ranges [r0, r0 + n) covering N rows. */
function chunks(N: number, rows: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r0 = 0; r0 < N; r0 += rows) out.push([r0, Math.min(rows, N - r0)]);
  return out;
}

/** Runs each chunk in its own scope and joins the results along the rows. */
function byChunks<T extends tf.Tensor>(N: number, rows: number, f: (r0: number, n: number) => T): T {
  const parts = chunks(N, rows).map(([r0, n]) => tf.tidy(() => f(r0, n)));
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts) as T;
  tf.dispose(parts);
  return out;
}

/** log p(targets) per row of h [N, d] under the head w [V, d] (frozen: the gradient flows to h only). */
export function chunkedTargetLogprobs(h: tf.Tensor2D, w: tf.Tensor2D, targets: tf.Tensor1D, o: ChunkOptions = {}): TokenScores {
  const [N] = h.shape;
  const V = w.shape[0];
  const tau = o.temperature ?? 1;
  const rows = o.rows ?? lossChunkRows(V);
  const fused = fusedOn();
  const logitsOf = (hc: tf.Tensor2D) => {
    const z = productT(w, hc); // [n, V]
    return tau === 1 ? z : (z.div(tau) as tf.Tensor2D);
  };
  let entropy: tf.Tensor1D | undefined;
  const f = tf.customGrad(((hIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // the targets too: made inside a tf.variableGrads function, they are disposed before the backward pass
    save([hIn, targets]);
    const slice = (x: tf.Tensor, r0: number, n: number) => (x.rank === 1 ? x.slice(r0, n) : x.slice([r0, 0], [n, -1]));
    const ent: tf.Tensor1D[] = [];
    const value = byChunks(N, rows, (r0, n) => {
      const z = logitsOf(slice(hIn, r0, n) as tf.Tensor2D);
      const t = slice(targets, r0, n) as tf.Tensor1D;
      const lp = fused && !o.entropy ? undefined : tf.logSoftmax(z);
      if (lp && o.entropy) ent.push(tf.keep(tf.neg(tf.sum(tf.exp(lp).mul(lp), -1)) as tf.Tensor1D));
      if (fused) return tf.neg(runFused('RepriseCrossEntropyRows', { z, t })) as tf.Tensor1D;
      // the target's entry of each row of the flattened [n·V] log-softmax
      return tf.gather(lp!.reshape([n * V]), tf.range(0, n * V, V, 'int32').add(t)) as tf.Tensor1D;
    });
    if (o.entropy) entropy = tf.keep(tf.concat(ent) as tf.Tensor1D);
    tf.dispose(ent);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [hs, ts]: tf.Tensor[]) =>
        byChunks(N, rows, (r0, n) => {
          const z = logitsOf(slice(hs, r0, n) as tf.Tensor2D);
          const t = slice(ts, r0, n) as tf.Tensor1D;
          const negDy = tf.neg(slice(dy, r0, n));
          // (softmax − onehot)·(−dy): the gradient of log p(t) times dy, with respect to z
          const dz = fused
            ? runFused('RepriseCrossEntropyGrad', { z, t, w: negDy })
            : tf.mul(tf.sub(tf.exp(tf.logSoftmax(z)), tf.oneHot(t, V)), negDy.reshape([-1, 1]));
          return gradInput((tau === 1 ? dz : dz.div(tau)) as tf.Tensor2D, w);
        }),
    };
  }) as never) as unknown as (h: tf.Tensor2D) => tf.Tensor1D;
  const logp = f(h);
  // kept to outlive the forward's scope (customGrad runs it in a tidy); handed to the caller's scope here
  const e = entropy && tf.clone(entropy);
  entropy?.dispose();
  return { logp, entropy: e };
}
