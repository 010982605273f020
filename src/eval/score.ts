// Turns per-sample verdicts into a model's metrics: pass@1 (mean over n samples), greedy accuracy, maj@n and
// pass@n, each with a bootstrap interval over problems; and the paired comparison of two models.

import type { Estimate, PairedTest } from './results.js';
import { majorityVote, meanEstimate, pairedTest, passAtK } from './metrics.js';
import { RepriseError } from '../util/errors.js';

export interface SampleRecord {
  problem_id: string;
  /** Index of the sample at temperature > 0, or -1 for the greedy completion. */
  sample: number;
  prompt: string;
  completion: string;
  pred: string | null;
  rule: string | null;
  gold: string;
  correct: boolean | null;
  format_ok: boolean;
  tokens: number;
  finished: boolean;
}

export interface ProblemScores {
  ids: string[];
  pass1: number[];
  greedy: number[];
  maj: number[];
  passN: number[];
}

/** Per-problem scores from sample records; refuses when a problem has fewer than n samples. */
export function perProblem(records: readonly SampleRecord[], problemIds: readonly string[], n: number): ProblemScores {
  const by = new Map<string, SampleRecord[]>();
  for (const r of records) by.set(r.problem_id, [...(by.get(r.problem_id) ?? []), r]);
  const out: ProblemScores = { ids: [...problemIds], pass1: [], greedy: [], maj: [], passN: [] };
  for (const id of problemIds) {
    const rows = by.get(id) ?? [];
    const sampled = rows.filter((r) => r.sample >= 0 && r.sample < n).sort((a, b) => a.sample - b.sample);
    if (sampled.length < n) throw new RepriseError('E_METRIC', `problem ${id} has ${sampled.length} samples; pass@1 over n = ${n} needs ${n}`, 'rerun the eval to finish the missing samples');
    const c = sampled.filter((r) => r.correct === true).length;
    out.pass1.push(c / n);
    out.passN.push(passAtK(n, c, n));
    const greedy = rows.find((r) => r.sample === -1);
    out.greedy.push(greedy?.correct ? 1 : 0);
    const vote = majorityVote(sampled.map((r) => r.pred));
    const winner = sampled.find((r) => r.pred === vote);
    out.maj.push(winner?.correct ? 1 : 0);
  }
  return out;
}

export function modelMetrics(s: ProblemScores, n: number, seed: number | string, resamples: number): Record<string, Estimate> {
  const est = (xs: number[], name: string) => meanEstimate(xs, { seed: `${seed}/${name}`, resamples });
  return { 'pass@1': est(s.pass1, 'pass@1'), greedy: est(s.greedy, 'greedy'), [`maj@${n}`]: est(s.maj, 'maj'), [`pass@${n}`]: est(s.passN, 'passN') };
}

export function comparePaired(a: ProblemScores, b: ProblemScores, names: [string, string], seed: number | string): PairedTest {
  if (a.ids.join('\n') !== b.ids.join('\n')) throw new RepriseError('E_METRIC', `paired test: ${names[0]} and ${names[1]} were not scored on the same problems`);
  return pairedTest(a.pass1, b.pass1, { seed: `${seed}/paired`, names, metric: 'pass@1' });
}
