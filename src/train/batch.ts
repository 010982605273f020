// Packs tokenised (prompt, completion) pairs into right-padded training arrays with the loss mask on the
// completion (assistant) tokens only.

import { ShapeError } from '../util/errors.js';

export interface Example {
  prompt: number[];
  completion: number[];
}

export interface PackedBatch {
  B: number;
  T: number;
  /** [B*T] inputs: sequence[0..T-1], padded. */
  inputs: Int32Array;
  /** [B*T] next-token targets. */
  targets: Int32Array;
  /** [B*T] 1 where the target is a completion token, else 0. */
  mask: Float32Array;
}

/** T is the longest sequence minus one (inputs predict the next token), capped at maxT. */
export function packBatch(examples: readonly Example[], pad: number, maxT: number): PackedBatch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.prompt.length + e.completion.length - 1));
  if (T > maxT) throw new ShapeError('training sequence', `length <= ${maxT + 1} tokens (context_length + 1)`, [T + 1]);
  const inputs = new Int32Array(B * T).fill(pad);
  const targets = new Int32Array(B * T).fill(pad);
  const mask = new Float32Array(B * T);
  examples.forEach((e, b) => {
    const seq = [...e.prompt, ...e.completion];
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[b * T + t] = seq[t];
      targets[b * T + t] = seq[t + 1];
      if (t + 1 >= e.prompt.length) mask[b * T + t] = 1;
    }
  });
  return { B, T, inputs, targets, mask };
}
