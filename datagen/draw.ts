// Shared pieces of the synthetic families: weighted draws, disjoint splits by rejection, and the family
// wrapper that turns (question, teacher trace, answer) problems into chat rows.

import { Rng } from '../src/util/rng.js';
import { RepriseError } from '../src/util/errors.js';
import type { DatasetFamily, SplitSpec } from './types.js';

/** A split that cannot be drawn (too few distinct problems left): bad input, named by split. */
export class SplitDrawError extends RepriseError {
  constructor(
    readonly split: string,
    message: string,
  ) {
    super('E_INPUT', message, 'lower the count, or widen digit_weights; splits are disjoint, so earlier splits use up problems');
    this.name = 'SplitDrawError';
  }
}

/** Distinct (a, b) pairs when each operand's digit count has a positive weight: 10 one-digit numbers, 9·10^(n-1) of n digits. */
export function twoOperandDistinct(w: readonly number[]): number {
  const n = w.reduce((s, x, i) => (x > 0 ? s + (i === 0 ? 10 : 9 * 10 ** i) : s), 0);
  return n * n;
}

/** What a recipe's splits ask of a family that it cannot give, by split and key. */
export function splitIssues(family: DatasetFamily, splits: Record<string, SplitSpec>): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  for (const [name, s] of Object.entries(splits)) {
    if (s.digit_weights.length > family.maxDigits) {
      out.push({ path: [name, 'digit_weights'], message: `${family.name} draws operands of at most ${family.maxDigits} digits; ${s.digit_weights.length} weights given` });
      continue;
    }
    const n = family.distinctProblems?.(s.digit_weights);
    if (n !== undefined && s.count > n) out.push({ path: [name, 'count'], message: `asks for ${s.count} distinct problems; digit_weights ${JSON.stringify(s.digit_weights)} allow only ${n}` });
  }
  return out;
}

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
      if (++attempts > split.count * 50) throw new SplitDrawError(split.name, `${label}split ${split.name}: cannot draw ${split.count} distinct problems from digit_weights ${JSON.stringify(split.digit_weights)} (${rows.length} drawn)`);
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
export function twoOperandFamily(meta: Pick<DatasetFamily, 'name' | 'version' | 'chars' | 'describe' | 'maxDigits' | 'verifier'>, draw: (seed: number, splits: (SplitSpec & { name: string })[]) => Record<string, TwoOperandProblem[]>, trace: (a: number, b: number) => string): DatasetFamily {
  return {
    ...meta,
    distinctProblems: twoOperandDistinct,
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
