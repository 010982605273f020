// Runs an eval spec against a model source: every (problem, sample) not yet in the samples file is requested
// by `concurrency` workers, scored, appended as it completes and folded into per-problem rows; at the end the
// metrics (strict and lenient side by side) and the provenance go to results.json.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedSpec } from '../config/eval-spec.js';
import type { BenchProblem } from '../data/bench-data.js';
import { verifyStats } from '../verify/equal.js';
import { countReasons, FailureRateError, InputError, RepriseError } from '../util/errors.js';
import { readJsonIfExists, writeJsonAtomic, writeJsonlAtomic } from '../util/fs.js';
import { hashJson, sha256 } from '../util/hash.js';
import { Progress } from '../util/progress.js';
import { checkMetricsFit, computeMetrics, makeScorer, ProblemFolder, type ProblemRow } from './aggregate.js';
import { buildResults, type EvalResults } from './eval-results.js';
import { sampleKey, scanSamples, SampleWriter, type EvalSample } from './samples-log.js';
import type { ModelSource } from './source.js';

export interface EvalRunOptions {
  spec: LoadedSpec;
  problems: readonly BenchProblem[];
  data: { file: string; sha256: string };
  source: ModelSource;
  /** Samples per problem (default: the spec's). */
  n?: number;
  outDir: string;
  concurrency: number;
  /** Label of the progress line. */
  label?: string;
  /** Fraction of samples that may be missing after retries (excluded from the metrics); above it the run fails. Default 0. */
  maxErrorRate?: number;
}

export interface Tally { samples: number; resumed: number; errors: number; error_reasons: Record<string, number>; nulls: number; nulls_strict: number; unknown: number; truncated: number; prompt_tokens: number; completion_tokens: number; correct: number }

/** A 31-bit seed per (problem, sample), stable across runs, resumes and concurrency. */
export function sampleSeed(base: number, problemId: string, sample: number): number {
  return parseInt(sha256(`${base}/${problemId}/${sample}`).slice(0, 8), 16) & 0x7fffffff;
}

export async function runEval(o: EvalRunOptions): Promise<EvalResults> {
  const { spec } = o.spec;
  const n = o.n ?? spec.sampling.n;
  checkMetricsFit(n, spec.metrics.pass_k, spec.metrics.maj_k);
  const samplesFile = join(o.outDir, 'samples.jsonl');
  const identity = { spec: o.spec.id, spec_hash: o.spec.hash, n, model: o.source.info.model, checkpoint_sha256: o.source.info.checkpoint_sha256 ?? null, data_sha256: o.data.sha256 };
  const prev = readJsonIfExists<typeof identity>(join(o.outDir, 'eval.json'));
  if (prev && hashJson(prev) !== hashJson(identity)) {
    const diff = Object.keys(identity).filter((k) => hashJson(prev[k as keyof typeof prev]) !== hashJson(identity[k as keyof typeof identity]));
    throw new InputError(`this directory holds samples of a different eval (${diff.join(', ')} differ)`, { file: join(o.outDir, 'eval.json'), hint: 'pass another --out, or delete the directory to start over' });
  }
  if (!prev && existsSync(samplesFile)) throw new InputError('samples.jsonl exists without eval.json beside it', { file: samplesFile, hint: 'delete the directory or pass another --out' });
  writeJsonAtomic(join(o.outDir, 'eval.json'), identity);
  // results of an earlier run must not outlive a run that fails below
  for (const f of ['results.json', 'per_problem.jsonl']) rmSync(join(o.outDir, f), { force: true });

  const t0 = Date.now();
  const verify0 = verifyStats.timeouts;
  const primaryStrict = spec.scoring.primary === 'strict';
  const wanted = new Set(o.problems.map((p) => p.id));
  const rows = new Map<string, ProblemRow>();
  const folder = new ProblemFolder(n, spec.metrics.maj_k, spec.scoring.timeout_ms, (r) => rows.set(r.id, r), spec.scoring.scorer === 'math' ? 'math' : 'sample');
  const t: Tally = { samples: 0, resumed: 0, errors: 0, error_reasons: {}, nulls: 0, nulls_strict: 0, unknown: 0, truncated: 0, prompt_tokens: 0, completion_tokens: 0, correct: 0 };
  const fold = (r: EvalSample) => {
    if (!wanted.has(r.problem_id) || r.sample >= n) return;
    t.samples++;
    if (r.error !== undefined) {
      // a sample that could not be obtained is no answer: it is counted, never folded into a problem's score
      t.errors++;
      countReasons([r.error], t.error_reasons);
      return;
    }
    if (r.pred === null) t.nulls++;
    if (r.pred_strict === null) t.nulls_strict++;
    if (r.verdict === 'unknown') t.unknown++;
    if (r.finish_reason === 'length') t.truncated++;
    if (primaryStrict ? r.correct_strict : r.correct) t.correct++;
    t.prompt_tokens += r.prompt_tokens;
    t.completion_tokens += r.completion_tokens;
    folder.add(r.problem_id, r.gold, r.sample, r);
  };

  const done = new Set<string>();
  const scan = await scanSamples(samplesFile, (r) => {
    done.add(sampleKey(r.problem_id, r.sample));
    fold(r);
  });
  t.resumed = t.samples;
  const total = o.problems.length * n;
  const progress = new Progress({ label: o.label ?? `eval ${o.spec.id}`, total, unit: 'samples' });
  progress.resumeAt(t.samples);

  function* jobs(): Generator<{ p: BenchProblem; s: number }> {
    for (const p of o.problems) for (let s = 0; s < n; s++) if (!done.has(sampleKey(p.id, s))) yield { p, s };
  }
  const queue = jobs();
  const score = makeScorer(spec);
  const writer = new SampleWriter(samplesFile);
  let fatal: unknown;
  const worker = async () => {
    for (let j = queue.next(); !j.done && fatal === undefined; j = queue.next()) {
      const { p, s } = j.value;
      const started = Date.now();
      let rec: EvalSample;
      try {
        const res = await o.source.chat({ messages: p.messages, n: 1, temperature: spec.sampling.temperature, top_p: spec.sampling.top_p, max_tokens: spec.sampling.max_tokens, seed: sampleSeed(spec.sampling.seed, p.id, s) });
        const ch = res.choices[0];
        const sc = await score(p.answer, p.raw, ch.text, ch.finish_reason !== 'length');
        rec = { problem_id: p.id, sample: s, gold: p.answer, completion: ch.text, ...(ch.reasoning !== undefined ? { reasoning: ch.reasoning } : {}), ...(ch.raw !== undefined && ch.raw !== ch.text ? { raw: ch.raw } : {}), finish_reason: ch.finish_reason, ...sc, prompt_tokens: res.usage.prompt_tokens, completion_tokens: res.usage.completion_tokens, endpoint: res.endpoint, ms: Date.now() - started };
      } catch (e) {
        // a bad request (a prompt the model cannot encode) fails every sample alike: stop at once
        if (!(e instanceof RepriseError) || e.code !== 'E_ENDPOINT') {
          fatal = e;
          return;
        }
        rec = { problem_id: p.id, sample: s, gold: p.answer, completion: '', finish_reason: 'error', pred: null, pred_strict: null, verdict: 'error', verdict_strict: 'error', correct: false, correct_strict: false, prompt_tokens: 0, completion_tokens: 0, endpoint: '', ms: Date.now() - started, error: (e as Error).message };
      }
      writer.append(rec);
      fold(rec);
      const got = t.samples - t.errors;
      progress.update(t.samples, { ...(got > 0 ? { acc: t.correct / got } : {}), errors: t.errors });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  } finally {
    writer.close();
  }
  if (fatal !== undefined) throw fatal;

  const ordered = o.problems.map((p) => rows.get(p.id)).filter((r): r is ProblemRow => r !== undefined);
  const missing = { samples: total - (t.samples - t.errors), problems: o.problems.length - ordered.length };
  checkMissing(missing.samples, total, ordered.length, t.error_reasons, o.maxErrorRate ?? 0);
  const opts = { seed: `${spec.sampling.seed}`, resamples: spec.metrics.bootstrap_resamples };
  const lenient = computeMetrics(ordered, n, spec.metrics.pass_k, spec.metrics.maj_k, false, opts);
  const strict = computeMetrics(ordered, n, spec.metrics.pass_k, spec.metrics.maj_k, true, opts);
  writeJsonlAtomic(join(o.outDir, 'per_problem.jsonl'), ordered);
  const results = buildResults({ run: o, n, lenient, strict, tally: t, missing, scan, wall_s: (Date.now() - t0) / 1000, verify_timeouts: verifyStats.timeouts - verify0 });
  writeJsonAtomic(join(o.outDir, 'results.json'), results);
  return results;
}

/** Fails the run, saying how many samples are missing and why, when more are missing than the user allows. */
export function checkMissing(missing: number, total: number, scoredProblems: number, reasons: Record<string, number>, maxRate: number): void {
  if (missing === 0 || (missing / total <= maxRate && scoredProblems > 0)) return;
  throw new FailureRateError({ failed: missing, total, unit: 'samples', limit: '--max-error-rate', maxRate, noneLeft: scoredProblems === 0, reasons, output: 'results', hint: 'rerun the same command to retry the failed samples (the others are kept), or allow some with --max-error-rate' });
}
