// Countdown (TinyZero's task, 3–4 numbers): reach the target with + - * /, each number used exactly once.
// Problems are built from a random expression, so each has a solution; the teacher is a depth-first solver
// whose steps become the trace. Seeded and deterministic: the same seed and parameters give identical rows.

import { Rng } from '../../src/util/rng.js';
import { SplitDrawError, weightedIndex } from '../draw.js';
import type { SplitSpec } from '../types.js';

export const GENERATOR_VERSION = 1;
export const TASK_CHARS = '0123456789+-*/()=;,[]:';

export interface CountdownParams {
  /** Relative weights of 3 and 4 numbers. */
  count_weights: number[];
  min_target: number;
  max_target: number;
}
export const DEFAULT_PARAMS: CountdownParams = { count_weights: [1, 1], min_target: 1, max_target: 100 };

export interface CountdownProblem {
  id: string;
  nums: number[];
  target: number;
  /** `[44,19,35]:98` */
  question: string;
}

interface Item {
  v: number;
  e: string;
}
type Op = '+' | '-' | '*' | '/';

/** Combines a and b with op when the result is a positive integer (the teacher's traces stay in integers). */
function combine(a: Item, b: Item, op: Op): Item | null {
  const wrap = (x: Item) => (/^\d+$/.test(x.e) ? x.e : `(${x.e})`);
  const e = `${wrap(a)}${op}${wrap(b)}`;
  if (op === '+') return { v: a.v + b.v, e };
  if (op === '*') return { v: a.v * b.v, e };
  if (op === '-') return a.v > b.v ? { v: a.v - b.v, e } : null;
  return b.v > 1 && a.v % b.v === 0 ? { v: a.v / b.v, e } : null;
}


/** Draws numbers and folds them in random order with random valid operations; null if the target is out of range. */
export function makeProblem(rng: Rng, digitWeights: readonly number[], p: CountdownParams): Omit<CountdownProblem, 'id'> | null {
  const n = 3 + weightedIndex(rng, p.count_weights);
  const nums = Array.from({ length: n }, () => {
    const d = 1 + weightedIndex(rng, digitWeights);
    return rng.int(d === 1 ? 1 : 10 ** (d - 1), 10 ** d - 1);
  });
  let pool: Item[] = nums.map((v) => ({ v, e: String(v) }));
  while (pool.length > 1) {
    rng.shuffle(pool);
    const [a, b, ...rest] = pool;
    const ops = (['+', '-', '*', '/'] as Op[]).map((op) => combine(a, b, op)).filter((x): x is Item => x !== null);
    pool = [rng.pick(ops), ...rest];
  }
  const target = pool[0].v;
  if (target < p.min_target || target > p.max_target) return null;
  return { nums, target, question: `[${nums.join(',')}]:${target}` };
}

/** Depth-first search over pairs in a fixed order; the steps of the first solution, or null. */
export function solve(nums: readonly number[], target: number): { steps: string[]; expr: string } | null {
  const go = (pool: Item[], steps: string[]): { steps: string[]; expr: string } | null => {
    if (pool.length === 1) return pool[0].v === target ? { steps, expr: pool[0].e } : null;
    for (let i = 0; i < pool.length; i++) {
      for (let j = 0; j < pool.length; j++) {
        if (i === j) continue;
        for (const op of ['+', '-', '*', '/'] as Op[]) {
          if ((op === '+' || op === '*') && j < i) continue;
          const c = combine(pool[i], pool[j], op);
          if (!c) continue;
          const rest = pool.filter((_, k) => k !== i && k !== j);
          const found = go([...rest, c], [...steps, `${pool[i].v}${op}${pool[j].v}=${c.v}`]);
          if (found) return found;
        }
      }
    }
    return null;
  };
  return go(nums.map((v) => ({ v, e: String(v) })), []);
}

/** `<think>44+19=63;63+35=98;</think><answer>(44+19)+35</answer>` */
export function teacherTrace(nums: readonly number[], target: number): string {
  const s = solve(nums, target);
  if (!s) throw new Error(`countdown: no solution for [${nums.join(',')}]:${target}`);
  return `<think>${s.steps.map((x) => `${x};`).join('')}</think><answer>${s.expr}</answer>`;
}

/** Draws the splits in order from one stream; a question already drawn is drawn again, so splits are disjoint. */
export function generateSplits(seed: number, splits: readonly (SplitSpec & { name: string })[], p: CountdownParams): Record<string, CountdownProblem[]> {
  const rng = new Rng(`countdown/${seed}`);
  const seen = new Set<string>();
  const out: Record<string, CountdownProblem[]> = {};
  for (const split of splits) {
    const rows: CountdownProblem[] = [];
    let attempts = 0;
    while (rows.length < split.count) {
      if (++attempts > split.count * 200 + 1000) throw new SplitDrawError(split.name, `countdown split ${split.name}: cannot draw ${split.count} distinct problems with targets in [${p.min_target}, ${p.max_target}]; widen the range or lower count`);
      const q = makeProblem(rng, split.digit_weights, p);
      if (!q || seen.has(q.question)) continue;
      seen.add(q.question);
      rows.push({ id: `${split.name}-${rows.length}`, ...q });
    }
    out[split.name] = rows;
  }
  return out;
}
