// tiny-r1: column addition with carries, and its programmatic teacher that reasons digit by digit in the
// R1 format. Seeded and deterministic: the same seed and parameters give byte-identical files.

import { Rng } from '../../src/util/rng.js';
import { drawDisjointSplits, weightedIndex, type TwoOperandProblem } from '../draw.js';

export const GENERATOR_VERSION = 1;

/** Operands are zero-padded to this many digits, so every column sits at a fixed position in the prompt. */
export const WIDTH = 4;

/** The chat characters this task uses (the tokenizer of the tiny model is built from them). */
export const TASK_CHARS = '0123456789+=;';

/** The question is as the user sends it, operands zero-padded to WIDTH digits, e.g. "0347+0589". */
export type AddProblem = TwoOperandProblem;

/** Digit counts are drawn per operand from `weights` (index 0 = 1 digit). */
export interface SplitSpec {
  name: string;
  count: number;
  digit_weights: number[];
}

export function makeProblem(rng: Rng, weights: readonly number[]): Omit<AddProblem, 'id'> {
  const digits = () => 1 + weightedIndex(rng, weights);
  const num = (n: number) => (n === 1 ? rng.int(0, 9) : rng.int(10 ** (n - 1), 10 ** n - 1));
  const da = digits();
  const db = digits();
  const a = num(da);
  const b = num(db);
  const pad = (x: number) => String(x).padStart(WIDTH, '0');
  return { a, b, question: `${pad(a)}+${pad(b)}`, answer: String(a + b), digits: Math.max(da, db) };
}

/**
 * The teacher's trace: one step per column from the right over all WIDTH columns, "x+y+c=ss;" where c is
 * the carry in and ss the column sum in two digits; a final carry adds a step "0+0+1=01;". Every step has
 * the same width, so the answer's digits sit at fixed offsets. Then the answer without leading zeros:
 * `<think>7+9+0=16;4+8+1=13;3+5+1=09;0+0+0=00;</think><answer>936</answer>`.
 */
export function teacherTrace(a: number, b: number): string {
  const da = String(a).padStart(WIDTH, '0').split('').reverse().map(Number);
  const db = String(b).padStart(WIDTH, '0').split('').reverse().map(Number);
  const n = Math.max(da.length, db.length);
  let carry = 0;
  let steps = '';
  for (let i = 0; i < n || carry; i++) {
    const x = da[i] ?? 0;
    const y = db[i] ?? 0;
    const s = x + y + carry;
    steps += `${x}+${y}+${carry}=${String(s).padStart(2, '0')};`;
    carry = s >= 10 ? 1 : 0;
  }
  return `<think>${steps}</think><answer>${String(a + b)}</answer>`;
}

/**
 * Draws the splits in order from one stream, rejecting any question already used by an earlier split,
 * so the splits are disjoint by construction (and checked again by the caller).
 */
export function generateSplits(seed: number, splits: readonly SplitSpec[]): Record<string, AddProblem[]> {
  return drawDisjointSplits(new Rng(`tiny-r1/${seed}`), splits, makeProblem, '');
}
