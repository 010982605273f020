// Verification throughput: MATH-500-style completions (each solution's boxed answer restated in a few
// equivalent or wrong forms) judged against the gold; reports checks/s and the slowest single check.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { extractAnswer } from './extract.js';
import { judge, verifyStats, resetVerifyStats } from './equal.js';

interface Problem {
  id: string;
  answer: string;
  solution: string;
}

const BUILT_IN: Problem[] = [
  { id: 'builtin/1', answer: '\\frac{14}{3}', solution: 'So $x = \\boxed{\\frac{14}{3}}$.' },
  { id: 'builtin/2', answer: '\\left( 3, \\frac{\\pi}{2} \\right)', solution: 'The point is $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$.' },
  { id: 'builtin/3', answer: 'x^5 - x^4 + x^3 - x^2 + x - 1', solution: '$\\boxed{x^5 - x^4 + x^3 - x^2 + x - 1}$' },
  { id: 'builtin/4', answer: '(3,4]', solution: 'The answer is $\\boxed{(3,4]}$.' },
  { id: 'builtin/5', answer: '10,\\!080', solution: 'There are $\\boxed{10,\\!080}$ ways.' },
];

function load(path: string): Problem[] {
  if (!existsSync(path)) return BUILT_IN;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { unique_id: string; answer: string; solution: string })
    .map((r) => ({ id: r.unique_id, answer: r.answer, solution: r.solution }));
}

/** Completions for one problem: the solution itself, a restated correct answer, and two wrong ones. */
function completions(p: Problem): string[] {
  return [
    p.solution,
    `<think>Working it out.</think><answer>${p.answer.replace(/\\frac/g, '\\dfrac')}</answer>`,
    `Therefore, the final answer is $\\boxed{${p.answer} + 1}$.`,
    `The answer is 2.`,
  ];
}

export async function benchVerify(dataPath = resolve(process.cwd(), '../shared/benchmarks/math500/test.jsonl')): Promise<Record<string, number | string>> {
  const problems = load(dataPath);
  resetVerifyStats();
  let slowest = 0;
  let slowestId = '';
  let n = 0;
  let equal = 0;
  const t0 = performance.now();
  for (const p of problems) {
    for (const c of completions(p)) {
      const { pred } = extractAnswer(c, { preset: 'math' });
      const j = judge(p.answer, pred);
      n++;
      if (j.verdict === 'equal') equal++;
      if (j.ms > slowest) [slowest, slowestId] = [j.ms, p.id];
    }
  }
  const secs = (performance.now() - t0) / 1000;
  return {
    source: problems === BUILT_IN ? 'built-in list' : dataPath,
    verifications: n,
    judged_equal: equal,
    verifications_per_s: Math.round(n / secs),
    slowest_ms: Number(slowest.toFixed(2)),
    slowest_id: slowestId,
    unknown: verifyStats.unknown,
    timeouts: verifyStats.timeouts,
  };
}
