// The eval stage of a recipe: one checkpoint on the recipe's held-out split, run by the one eval engine
// (runEval) twice — the recipe's sampling spec and its greedy variant — and summarised into a ModelResult.

import { join } from 'node:path';
import { deepMerge, EvalSpec, type LoadedSpec } from '../config/eval-spec.js';
import type { Recipe } from '../config/recipe.js';
import type { BenchData, BenchProblem } from '../data/bench-data.js';
import { isR1Format } from '../verify/format.js';
import { readJsonl, writeJsonlAtomic, writeJsonAtomic } from '../util/fs.js';
import { hashJson } from '../util/hash.js';
import { runEval } from './engine.js';
import { compareEvalDirs, type EvalResults } from './eval-results.js';
import type { ModelResult, PairedTest } from './results.js';
import type { EvalSample } from './samples-log.js';
import { checkpointSource, type ModelSource } from './source.js';

/** Moves whenever this stage's outputs would change; part of the stage's cache key. */
export const EVAL_STAGE_VERSION = 'run-eval/2'; // 2: maj@k of countdown/integer/code benchmarks judged by their own scorer

/** What makes a spec greedy: one completion per problem at temperature 0 (evals/tiny-r1/greedy.yaml states the same). */
export const GREEDY_VARIANT = { sampling: { temperature: 0, n: 1 }, metrics: { pass_k: [1], maj_k: [] } };

export interface TestRow {
  id: string;
  messages: { role: string; content: string }[];
  answer: string;
}

/** The eval spec of a recipe's test split: evals/tiny-r1/default.yaml's prompt and scoring, the recipe's sampling. */
export function recipeSpec(recipe: Recipe, variant: 'sampled' | 'greedy'): LoadedSpec {
  const e = recipe.eval;
  const n = e.n_samples!;
  const base = {
    name: recipe.name,
    version: recipe.version,
    description: `the held-out test split of ${recipe.name} v${recipe.version}`,
    dataset: { split: 'test', local: `${recipe.name}/test`, fields: { id: 'id', problem: 'messages.0.content', answer: 'answer' } },
    prompt: { user: '{problem}' },
    scoring: { scorer: e.scorer ?? 'math', preset: 'default', primary: 'strict' },
    sampling: { temperature: e.temperature!, top_p: e.top_p, max_tokens: e.max_tokens!, n, seed: recipe.seed },
    metrics: { pass_k: [...new Set([1, n])], maj_k: [n], bootstrap_resamples: e.bootstrap_resamples },
  };
  const spec = EvalSpec.parse(variant === 'greedy' ? deepMerge(base, GREEDY_VARIANT) : base);
  return { spec, id: `${recipe.name}/test${variant === 'greedy' ? '-greedy' : ''}`, files: [], hash: hashJson(spec) };
}

export function testProblems(rows: readonly TestRow[]): BenchProblem[] {
  return rows.map((r) => ({
    id: r.id,
    messages: r.messages.filter((m) => m.role === 'system' || m.role === 'user') as BenchProblem['messages'],
    answer: r.answer,
    raw: r as unknown as Record<string, unknown>,
  }));
}

export async function evalStage(recipe: Recipe, name: string, stageName: string, ckpt: string, rows: TestRow[], dir: string): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const problems = testProblems(rows);
  const data = { file: `${recipe.name}/test`, sha256: hashJson(problems) };
  const batch = recipe.eval.batch_size;
  const source = await checkpointSource(ckpt, recipe.backend as 'wasm', { id: name, batch });
  const runs: Record<'sampled' | 'greedy', EvalResults> = {} as never;
  try {
    for (const v of ['greedy', 'sampled'] as const) {
      runs[v] = await runEval({ spec: recipeSpec(recipe, v), problems, data, source, outDir: join(dir, v), concurrency: batch, label: `${name} ${v}` });
    }
  } finally {
    await source.close();
  }
  const n = recipe.eval.n_samples!;
  const s = runs.sampled;
  const samples = [...readJsonl<EvalSample>(join(dir, 'greedy', 'samples.jsonl')).map((r) => ({ ...r, sample: -1 })), ...readJsonl<EvalSample>(join(dir, 'sampled', 'samples.jsonl'))];
  // both variants, greedy as sample -1, judged by the primary extraction
  writeRunSamples(join(dir, 'samples.jsonl'), samples, problems, true);
  const sampled = samples.filter((r) => r.sample >= 0);
  const result: ModelResult = {
    model: name,
    stage: stageName,
    checkpoint_hash: source.info.checkpoint_sha256 ?? '',
    bench: `${recipe.name}/test`,
    n_problems: problems.length,
    n_samples: n,
    sampling: { temperature: recipe.eval.temperature!, top_p: recipe.eval.top_p, max_tokens: recipe.eval.max_tokens!, seed: recipe.seed },
    metrics: { 'pass@1': s.metrics['pass@1'], greedy: runs.greedy.metrics['pass@1'], [`maj@${n}`]: s.metrics[`maj@${n}`], [`pass@${n}`]: s.metrics[`pass@${n}`] },
    counts: { samples: sampled.length, format_ok: sampled.filter((r) => isR1Format(r.raw ?? r.completion)).length, unjudged: s.counts.verify_unknown, truncated: s.counts.truncated },
    mean_completion_tokens: s.tokens.completion / Math.max(1, sampled.length),
    samples_file: `samples/${name}.jsonl`,
    wall_s: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(dir, 'metrics.json'), result);
  return { result, sample_tokens_per_s: (s.tokens.completion + runs.greedy.tokens.completion) / Math.max(s.wall_s + runs.greedy.wall_s, 1e-9) };
}

/** The run's samples file (what the run pages browse), each sample judged by the spec's primary extraction. */
function writeRunSamples(file: string, samples: EvalSample[], problems: readonly BenchProblem[], strict: boolean): void {
  const prompts = new Map(problems.map((p) => [p.id, p.messages.map((m) => m.content).join('\n')]));
  writeJsonlAtomic(file, samples.map(({ raw, ...r }) => ({
    ...r,
    completion: raw ?? r.completion,
    prompt: prompts.get(r.problem_id) ?? '',
    correct: strict ? r.correct_strict : r.correct,
    format_ok: isR1Format(raw ?? r.completion),
    tokens: r.completion_tokens,
    finished: r.finish_reason === 'stop',
  })));
}

/** `gsm8k/default` → `gsm8k-default`: the benchmark's part of stage and file names. */
export const benchSlug = (id: string): string => id.replace(/[^A-Za-z0-9._-]+/g, '-');

/**
 * One model on one benchmark of `eval.benchmarks`: the spec as written (its prompt, sampling, scoring and metrics),
 * run by the engine in `dir`/run; every metric the spec asks for (avg@n, pass@k, maj@k) goes into the result.
 */
export async function benchStage(o: { recipe: Recipe; model: string; stage: string; source: ModelSource; spec: LoadedSpec; bench: BenchData; dir: string }): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const { spec } = o.spec;
  const r = await runEval({ spec: o.spec, problems: o.bench.problems, data: { file: o.bench.file, sha256: o.bench.sha256 }, source: o.source, outDir: join(o.dir, 'run'), concurrency: o.recipe.eval.batch_size, label: `${o.model} ${o.spec.id}` });
  const samples = readJsonl<EvalSample>(join(o.dir, 'run', 'samples.jsonl')).filter((x) => x.error === undefined);
  writeRunSamples(join(o.dir, 'samples.jsonl'), samples, o.bench.problems, spec.scoring.primary === 'strict');
  const result: ModelResult = {
    model: o.model,
    stage: o.stage,
    checkpoint_hash: o.source.info.checkpoint_sha256 ?? '',
    bench: o.spec.id,
    n_problems: r.counts.scored_problems,
    n_samples: spec.sampling.n,
    sampling: { temperature: spec.sampling.temperature, top_p: spec.sampling.top_p, max_tokens: spec.sampling.max_tokens, seed: spec.sampling.seed },
    metrics: r.metrics,
    counts: { samples: samples.length, format_ok: samples.filter((x) => isR1Format(x.raw ?? x.completion)).length, unjudged: r.counts.verify_unknown, truncated: r.counts.truncated },
    mean_completion_tokens: r.tokens.completion / Math.max(1, samples.length),
    samples_file: `samples/${benchSlug(`${o.model}-${o.spec.id}`)}.jsonl`,
    wall_s: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(o.dir, 'metrics.json'), result);
  return { result };
}

/** The paired test (avg@n by the spec's primary extraction, b − a) of two benchmark stages. */
export function pairedBench(recipe: Recipe, spec: LoadedSpec, a: { name: string; dir: string }, b: { name: string; dir: string }): PairedTest {
  const { only_a: _a, only_b: _b, ...t } = compareEvalDirs(join(a.dir, 'run'), join(b.dir, 'run'), { metric: `avg@${spec.spec.sampling.n}`, strict: spec.spec.scoring.primary === 'strict', seed: recipe.seed });
  return { ...t, a: a.name, b: b.name, metric: 'pass@1', bench: spec.id };
}

/** The recipe's paired test (pass@1 by the primary extraction, b − a) from two eval stages' directories. */
export function pairedTests(recipe: Recipe, stageDirs: Record<string, string>): PairedTest[] {
  const pair = recipe.eval.paired;
  if (!pair || !stageDirs[pair[0]] || !stageDirs[pair[1]]) return [];
  const n = recipe.eval.n_samples!;
  const { only_a: _a, only_b: _b, ...t } = compareEvalDirs(join(stageDirs[pair[0]], 'sampled'), join(stageDirs[pair[1]], 'sampled'), { metric: `avg@${n}`, strict: true, seed: recipe.seed });
  return [{ ...t, a: pair[0], b: pair[1], metric: 'pass@1' }];
}
