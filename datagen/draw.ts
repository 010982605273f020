// Shared pieces of the synthetic families: weighted draws, disjoint splits by rejection, and the family
// wrapper that turns (question, teacher trace, answer) problems into chat rows.

import { Rng } from '../src/util/rng.js';
import type { DatasetFamily, SplitSpec } from './types.js';

/** An index drawn with probability proportional to its weight. */
export function weightedIndex(rng: Rng, w: readonly number[]): number {
  const total = w.reduce((x, y) => x + y, 0);
  let r = rng.next() * total;
  for (let i = 0; i < w.length; i++) {
    r -= w[i];
    if (r < 0) return i;
  }
  return w.length - 1;
}

/**
 * Draws the splits in order from one stream, rejecting any question an earlier draw produced, so the splits
 * are disjoint by construction; ids are `<split>-<index>`.
 */
export function drawDisjointSplits<P extends { question: string }>(
  rng: Rng,
  splits: readonly (SplitSpec & { name: string })[],
  make: (rng: Rng, weights: readonly number[]) => P,
  label: string,
): Record<string, (P & { id: string })[]> {
  const seen = new Set<string>();
  const out: Record<string, (P & { id: string })[]> = {};
  for (const split of splits) {
    const rows: (P & { id: string })[] = [];
    let attempts = 0;
    while (rows.length < split.count) {
      if (++attempts > split.count * 50) throw new Error(`${label}split ${split.name}: cannot draw ${split.count} distinct problems from digit_weights ${JSON.stringify(split.digit_weights)}`);
      const p = make(rng, split.digit_weights);
      if (seen.has(p.question)) continue;
      seen.add(p.question);
      rows.push({ id: `${split.name}-${rows.length}`, ...p });
    }
    out[split.name] = rows;
  }
  return out;
}

/** A problem on two operands: the question as the user sends it, its answer, and its size for reporting. */
export interface TwoOperandProblem {
  id: string;
  a: number;
  b: number;
  question: string;
  answer: string;
  digits: number;
}

/** A family of two-operand problems whose teacher writes `trace(a, b)` as the assistant turn. */
export function twoOperandFamily(meta: Pick<DatasetFamily, 'name' | 'version' | 'chars' | 'describe'>, draw: (seed: number, splits: (SplitSpec & { name: string })[]) => Record<string, TwoOperandProblem[]>, trace: (a: number, b: number) => string): DatasetFamily {
  return {
    ...meta,
    generate(seed, splits) {
      const names = Object.keys(splits);
      const drawn = draw(seed, names.map((name) => ({ name, ...splits[name] })));
      const out: ReturnType<DatasetFamily['generate']> = {};
      for (const name of names) {
        out[name] = drawn[name].map((p) => ({
          id: p.id,
          messages: [{ role: 'user' as const, content: p.question }, { role: 'assistant' as const, content: trace(p.a, p.b) }],
          answer: p.answer,
          meta: { digits: p.digits },
        }));
      }
      return out;
    },
  };
}
