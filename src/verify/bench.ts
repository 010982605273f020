// Verification throughput: MATH-500-style completions (each solution's boxed answer restated in a few
// equivalent or wrong forms) graded against the gold; reports checks/s (the first, cold pass; and the best of three
// warm passes by wall and by CPU time) and the slowest single check. And agreement
// with the labels of the development set (tests/fixtures/verify/devset, see its README), by class.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { verifyStats, resetVerifyStats } from './equal.js';
import { gradeMath } from './grade-math.js';
import { InputError } from '../util/errors.js';

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

export const DevItem = z
  .object({
    id: z.string(),
    class: z.string(),
    source: z.string(),
    gold: z.string(),
    completion: z.string(),
    /** The careful grader's verdict. */
    correct: z.boolean(),
    preset: z.enum(['default', 'math', 'gsm8k']),
    finished: z.boolean(),
  })
  .strict();
export type DevItem = z.infer<typeof DevItem>;

export const DEV_SET = 'tests/fixtures/verify/devset/dev.jsonl';

export function readDevSet(path: string): DevItem[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, n]) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (e) {
        throw new InputError(`invalid JSON: ${(e as Error).message}`, { file: path, line: n });
      }
      const r = DevItem.safeParse(raw);
      if (!r.success) throw new InputError(r.error.issues[0].message, { file: path, line: n, field: r.error.issues[0].path.join('.') });
      return r.data;
    });
}

export interface Agreement {
  items: number;
  agree: number;
  by_class: Record<string, { items: number; agree: number; rate: number }>;
  /** Ids of the items where the judge and the label differ. */
  disagree: string[];
  items_per_s: number;
}

/** The one judge (gradeMath) against the dev set's labels. */
export function devAgreement(items: readonly DevItem[]): Agreement {
  const out: Agreement = { items: items.length, agree: 0, by_class: {}, disagree: [], items_per_s: 0 };
  const t0 = performance.now();
  for (const it of items) {
    const ok = (gradeMath(it.gold, it.completion, { preset: it.preset, finished: it.finished }).correct === true) === it.correct;
    const c = (out.by_class[it.class] ??= { items: 0, agree: 0, rate: 0 });
    c.items++;
    if (ok) [c.agree, out.agree] = [c.agree + 1, out.agree + 1];
    else out.disagree.push(it.id);
  }
  out.items_per_s = Math.round(items.length / ((performance.now() - t0) / 1000));
  for (const c of Object.values(out.by_class)) c.rate = Number((c.agree / c.items).toFixed(4));
  return out;
}

export async function benchVerify(dataPath = resolve(process.cwd(), '../shared/benchmarks/math500/test.jsonl'), devPath = resolve(process.cwd(), DEV_SET)): Promise<Record<string, unknown>> {
  const problems = load(dataPath);
  resetVerifyStats();
  let slowest = 0;
  let slowestId = '';
  let n = 0;
  let equal = 0;
  const pass = (): { wall: number; cpu: number } => {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    for (const p of problems) {
      for (const c of completions(p)) {
        const t = performance.now();
        const g = gradeMath(p.answer, c, { preset: 'math' });
        const ms = performance.now() - t;
        n++;
        if (g.verdict === 'equal') equal++;
        if (ms > slowest) [slowest, slowestId] = [ms, p.id];
      }
    }
    const c1 = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c1.user + c1.system) / 1e6 };
  };
  const cold = pass();
  const stats = { verifications: n, judged_equal: equal, unknown: verifyStats.unknown, timeouts: verifyStats.timeouts, unparsed: verifyStats.unparsed };
  // on a shared machine one pass is noisy: the best of three warm passes, by wall and by CPU time
  const warm = [pass(), pass(), pass()];
  const per = (secs: number) => Math.round(stats.verifications / secs);
  return {
    source: problems === BUILT_IN ? 'built-in list' : dataPath,
    ...stats,
    verifications_per_s: per(cold.wall),
    warm_verifications_per_s: per(Math.min(...warm.map((w) => w.wall))),
    warm_verifications_per_cpu_s: per(Math.min(...warm.map((w) => w.cpu))),
    slowest_ms: Number(slowest.toFixed(2)),
    slowest_id: slowestId,
    dev_set: existsSync(devPath) ? { path: DEV_SET, ...devAgreement(readDevSet(devPath)) } : 'absent',
  };
}
