// Multi-digit multiplication and its programmatic teacher: long multiplication, one partial product per
// non-zero digit of the second factor, then a running sum. Seeded and deterministic.

import { Rng } from '../../src/util/rng.js';
import type { SplitSpec } from '../types.js';
import { drawDisjointSplits, weightedIndex, type TwoOperandProblem } from '../draw.js';

export const GENERATOR_VERSION = 1;
export const TASK_CHARS = '0123456789*+=;';
/** Factors are drawn as JS numbers, exact up to 15 digits (the product is a BigInt). */
export const MAX_DIGITS = 15;

/** The question is `347*89`; digits counts both factors' digits. */
export type MulProblem = TwoOperandProblem;

export function makeProblem(rng: Rng, weights: readonly number[]): Omit<MulProblem, 'id'> {
  const da = 1 + weightedIndex(rng, weights);
  const db = 1 + weightedIndex(rng, weights);
  const num = (n: number) => (n === 1 ? rng.int(0, 9) : rng.int(10 ** (n - 1), 10 ** n - 1));
  const a = num(da);
  const b = num(db);
  return { a, b, question: `${a}*${b}`, answer: String(BigInt(a) * BigInt(b)), digits: da + db };
}

/**
 * `<think>347*9=3123;347*80=27760;3123+27760=30883;</think><answer>30883</answer>`: the partial product of
 * each non-zero digit of b from the right (its place value written out), each added to the running sum.
 */
export function teacherTrace(a: number, b: number): string {
  const A = BigInt(a);
  const digits = String(b).split('').reverse();
  const steps: string[] = [];
  let sum: bigint | null = null;
  digits.forEach((d, place) => {
    if (d === '0') return;
    const factor = BigInt(d + '0'.repeat(place));
    const partial = A * factor;
    steps.push(`${a}*${factor}=${partial}`);
    if (sum !== null) steps.push(`${sum}+${partial}=${sum + partial}`);
    sum = (sum ?? 0n) + partial;
  });
  if (sum === null) steps.push(`${a}*0=0`);
  return `<think>${steps.map((s) => `${s};`).join('')}</think><answer>${A * BigInt(b)}</answer>`;
}

/** Draws the splits in order from one stream, rejecting questions drawn before, so splits are disjoint. */
export function generateSplits(seed: number, splits: readonly (SplitSpec & { name: string })[]): Record<string, MulProblem[]> {
  return drawDisjointSplits(new Rng(`multiplication/${seed}`), splits, makeProblem, 'multiplication ');
}
