// The results JSON of one eval (schema reprise.eval/v1): metrics with intervals and everything needed to trust
// and reproduce them; and the paired comparison of two such runs on the same problems.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FailureCounts } from '../inference/openai-client.js';
import { InputError } from '../util/errors.js';
import { readJson, readJsonl } from '../util/fs.js';
import { sha256 } from '../util/hash.js';
import type { ProblemRow } from './aggregate.js';
import type { EvalRunOptions, Tally } from './engine.js';
import { pairedTest, passAtK } from './metrics.js';
import { EVAL_SCHEMA, type Estimate, type PairedTest } from './results.js';
import type { ResumeScan } from './samples-log.js';
import type { SourceInfo } from './source.js';


export interface EvalResults {
  schema: typeof EVAL_SCHEMA;
  spec: { id: string; name: string; version: number; sha256: string; files: string[] };
  data: { file: string; sha256: string; n_problems: number };
  model: SourceInfo;
  sampling: { temperature: number; top_p: number; max_tokens: number; n: number };
  prompt: { system_sha256: string | null; user_template_sha256: string; chat_template: string; chat_template_sha256: string | null };
  verifier: { version: string; scorer: string; preset: string; primary: 'strict' | 'lenient'; timeout_ms: number };
  seeds: { base: number; per_sample: string; bootstrap: string };
  /** The spec's primary extraction; `strict` and `lenient` side by side below. */
  metrics: Record<string, Estimate>;
  strict: Record<string, Estimate>;
  lenient: Record<string, Estimate>;
  counts: { problems: number; samples: number; resumed_samples: number; nulls: number; nulls_strict: number; verify_unknown: number; verify_timeouts: number; errors: number; truncated: number;
    /** Problems in the metrics: those with all n samples obtained. Missing samples are excluded, never scored 0. */
    scored_problems: number; missing_samples: number; missing_problems: number; error_reasons: Record<string, number>; endpoint: FailureCounts; resume: ResumeScan };
  tokens: { prompt: number; completion: number };
  wall_s: number;
  references: { model: string; metric: string; value: number; source: string }[];
  files: { samples: string; per_problem: string };
  finished_at: string;
}

let verifierVersion: string | undefined;

/** Hash of the verifier's sources (src/verify, or dist/src/verify when built): moves whenever grading can change. */
export function verifierHash(): string {
  if (verifierVersion) return verifierVersion;
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'verify');
  try {
    const files = readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).sort();
    verifierVersion = `verify-${sha256(files.map((f) => `${f}\n${readFileSync(join(dir, f), 'utf8')}`).join('\n')).slice(0, 16)}`;
  } catch {
    verifierVersion = 'unknown';
  }
  return verifierVersion;
}

export function buildResults(a: { run: EvalRunOptions; n: number; lenient: Record<string, Estimate>; strict: Record<string, Estimate>; tally: Tally; missing: { samples: number; problems: number }; scan: ResumeScan; wall_s: number; verify_timeouts: number }): EvalResults {
  const { spec, id, hash, files } = a.run.spec;
  const t = a.tally;
  return {
    schema: EVAL_SCHEMA,
    spec: { id, name: spec.name, version: spec.version, sha256: hash, files },
    data: { file: a.run.data.file, sha256: a.run.data.sha256, n_problems: a.run.problems.length },
    model: a.run.source.info,
    sampling: { temperature: spec.sampling.temperature, top_p: spec.sampling.top_p, max_tokens: spec.sampling.max_tokens, n: a.n },
    prompt: {
      system_sha256: spec.prompt.system ? sha256(spec.prompt.system) : null,
      user_template_sha256: sha256(spec.prompt.user),
      chat_template: spec.prompt.chat_template,
      chat_template_sha256: a.run.source.info.chat_template_sha256,
    },
    verifier: { version: verifierHash(), scorer: spec.scoring.scorer, preset: spec.scoring.preset, primary: spec.scoring.primary, timeout_ms: spec.scoring.timeout_ms },
    seeds: { base: spec.sampling.seed, per_sample: 'sha256("<base>/<problem id>/<sample>")[0:8] & 0x7fffffff', bootstrap: `"${spec.sampling.seed}/<metric>", ${spec.metrics.bootstrap_resamples} resamples` },
    metrics: spec.scoring.primary === 'strict' ? a.strict : a.lenient,
    strict: a.strict,
    lenient: a.lenient,
    counts: {
      problems: a.run.problems.length,
      samples: t.samples,
      resumed_samples: t.resumed,
      nulls: t.nulls,
      nulls_strict: t.nulls_strict,
      verify_unknown: t.unknown,
      verify_timeouts: a.verify_timeouts,
      errors: t.errors,
      truncated: t.truncated,
      scored_problems: a.run.problems.length - a.missing.problems,
      missing_samples: a.missing.samples,
      missing_problems: a.missing.problems,
      error_reasons: t.error_reasons,
      endpoint: a.run.source.failures(),
      resume: a.scan,
    },
    tokens: { prompt: t.prompt_tokens, completion: t.completion_tokens },
    wall_s: a.wall_s,
    references: spec.references,
    files: { samples: 'samples.jsonl', per_problem: 'per_problem.jsonl' },
    finished_at: new Date().toISOString(),
  };
}

/**
 * Paired comparison of two eval directories on the problems both scored: mean(b - a) of a metric's per-problem
 * score with a bootstrap interval and a sign-flip p-value. `metric` is avg@n (the default), pass@k or maj@k.
 */
export function compareEvalDirs(dirA: string, dirB: string, opts: { metric?: string; strict?: boolean; seed?: number } = {}): PairedTest & { only_a: number; only_b: number } {
  const load = (d: string) => ({ res: readJson<EvalResults>(join(d, 'results.json')), rows: readJsonl<ProblemRow>(join(d, 'per_problem.jsonl')) });
  const A = load(dirA);
  const B = load(dirB);
  if (A.res.data.sha256 !== B.res.data.sha256) throw new InputError('the two runs read different data files', { file: join(dirB, 'results.json'), field: 'data.sha256', hint: 'compare runs of the same benchmark data' });
  const metric = opts.metric ?? `avg@${Math.min(A.res.sampling.n, B.res.sampling.n)}`;
  const score = (r: ProblemRow): number => {
    const correct = opts.strict ? r.correct_strict : r.correct;
    const [kind, kText] = metric.split('@');
    const k = Number(kText);
    if (!(k >= 1 && k <= r.correct.length)) throw new InputError(`${metric} needs ${k} samples per problem; problem ${r.id} has ${r.correct.length}`, { field: 'metric', hint: 'choose a k no larger than both runs\' n' });
    if (kind === 'avg') return correct.slice(0, k).reduce((s, x) => s + x, 0) / k;
    if (kind === 'maj') return (opts.strict ? r.maj_strict : r.maj)[k] ?? NaN;
    if (kind === 'pass') return passAtK(correct.length, correct.reduce((s, x) => s + x, 0), k);
    throw new InputError(`unknown metric "${metric}"`, { field: 'metric', hint: 'avg@n, pass@k or maj@k' });
  };
  const bById = new Map(B.rows.map((r) => [r.id, r]));
  const both = A.rows.filter((r) => bById.has(r.id));
  const test = pairedTest(both.map(score), both.map((r) => score(bById.get(r.id)!)), { seed: opts.seed ?? 0, names: [dirA, dirB], metric });
  return { ...test, only_a: A.rows.length - both.length, only_b: B.rows.length - both.length };
}
