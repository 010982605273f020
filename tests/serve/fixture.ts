// Writes a plausible reports/ tree (two runs, broken run dirs, an escaping samples path) into a temp dir for the serve tests.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RUN_SCHEMA, type Estimate, type ModelResult, type RunSummary } from '../../src/eval/results.js';

export const RUN_ID = 'tiny-r1-v1-20250102-030405';
export const OLD_RUN_ID = 'tiny-r1-v1-20241201-000000';
export const RECIPE_SHA = 'a'.repeat(60) + 'beef';
export const GIT_COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const SECRET = 'TOP-SECRET-OUTSIDE-RUN-DIR';
export const XSS = '<script>alert(1)</script>';
/** The current run names a paper's number for grpo (inside its interval) and for sft (outside). */
export const REFERENCES = [
  { model: 'grpo', bench: 'arith-200', metric: 'pass@1', value: 0.44, source: 'Paper <i>X</i>, table 2', url: 'https://example.org/paper' },
  { model: 'sft', bench: 'arith-200', metric: 'pass@1', value: 0.5, source: 'Paper X, table 3', url: 'javascript:alert(1)' },
];
/** grpo has 40 problems × 3 samples: sample 0 correct, 1 incorrect, 2 unjudged. */
export const GRPO_SAMPLES = 120;

const est = (value: number, lo: number, hi: number): Estimate => ({ value, lo, hi, se: (hi - lo) / 3.92, method: 'bootstrap over problems, 2000 resamples' });

function model(name: string, stage: string, pass1: Estimate, n_problems: number): ModelResult {
  return {
    model: name,
    stage,
    checkpoint_hash: `${name}-ckpt-` + 'c'.repeat(48),
    bench: 'arith-200',
    n_problems,
    n_samples: 3,
    sampling: { temperature: 0.7, top_p: 0.95, max_tokens: 256, seed: 7 },
    metrics: { 'pass@1': pass1, greedy: est(pass1.value + 0.01, pass1.lo, pass1.hi + 0.02), 'maj@n': est(pass1.value + 0.03, pass1.lo + 0.01, pass1.hi + 0.03) },
    counts: { samples: n_problems * 3, format_ok: n_problems * 2, unjudged: n_problems, truncated: 1 },
    mean_completion_tokens: 88.5,
    samples_file: `samples/${name}.jsonl`,
    wall_s: 12.5,
  };
}

export function summary(runId: string, finishedAt: string): RunSummary {
  return {
    schema: RUN_SCHEMA,
    run_id: runId,
    recipe: { name: 'tiny-r1', version: 1, path: 'recipes/tiny-r1/v1.yaml', sha256: RECIPE_SHA, text: 'name: tiny-r1\nversion: 1\nsft:\n  steps: 20\n' },
    provenance: {
      git_commit: GIT_COMMIT,
      git_dirty: false,
      seeds: { data: 1, sft: 2, grpo: 3, eval: 7 },
      backend: 'wasm',
      versions: { node: 'v20.20.2', '@tensorflow/tfjs': '4.22.0' },
      platform: 'linux-x64',
      cpus: 16,
      started_at: '2025-01-02T02:00:00.000Z',
      finished_at: finishedAt,
      wall_s: { datagen: 3.2, sft: 120.4, grpo: 900.1, eval: 60 },
      command: 'reprise run recipes/tiny-r1/v1.yaml',
    },
    datasets: [{ name: 'arith-train', path: 'datagen/out/arith-train.jsonl', sha256: 'd'.repeat(64), rows: 5000 }],
    models: [model('base', 'init', est(0.1, 0.075, 0.13), 5), model('sft', 'sft', est(0.362, 0.32, 0.405), 5), model('grpo', 'grpo', est(0.425, 0.381, 0.47), 40)],
    paired: [
      { a: 'base', b: 'sft', metric: 'pass@1', n_problems: 200, mean_diff: 0.262, lo: 0.2, hi: 0.31, p_value: 0.00001, test: 'paired sign-flip permutation' },
      { a: 'sft', b: 'grpo', metric: 'pass@1', n_problems: 200, mean_diff: 0.062, lo: 0.031, hi: 0.094, p_value: 0.0004, test: 'paired sign-flip permutation' },
    ],
    curves: { sft: 'curves/sft.jsonl', grpo: 'curves/grpo.jsonl' },
  };
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function samples(n_problems: number): unknown[] {
  const rows: unknown[] = [];
  for (let p = 0; p < n_problems; p++) {
    for (let s = 0; s < 3; s++) {
      const correct = s === 0 ? true : s === 1 ? false : null;
      rows.push({
        problem_id: `arith-${String(p).padStart(3, '0')}`,
        prompt: `What is ${p} + ${s}?`,
        completion: p === 0 && s === 0 ? XSS : `<think>${p} plus ${s}</think><answer>${p + s}</answer>`,
        pred: String(p + s),
        gold: String(p + (s === 1 ? 1 : 0)),
        correct,
        sample: s,
        rewards: { accuracy: correct === null ? null : Number(correct), format: 1 },
      });
    }
  }
  return rows;
}

function writeRun(reportsDir: string, s: RunSummary): string {
  const dir = join(reportsDir, 'runs', s.run_id);
  write(join(dir, 'summary.json'), JSON.stringify(s, null, 2));
  const sft = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, loss: 2.5 - i * 0.08, lr: 3e-4, tokens_per_s: 1200 + i, phase: 'train' }));
  write(join(dir, 'curves/sft.jsonl'), jsonl(sft));
  const grpo = Array.from({ length: 15 }, (_, i) => ({
    step: i + 1,
    'reward/accuracy/mean': 0.3 + i * 0.01,
    'reward/accuracy/std': 0.2,
    'reward/format/mean': 0.8 + i * 0.01,
    'reward/total/mean': 1.1 + i * 0.02,
    completion_len: i === 3 ? null : 90 - i,
    kl: i * 0.001,
    clip_frac: 0.01,
    entropy: 1.2,
    loss: 0.05,
    lr: 1e-6,
  }));
  write(join(dir, 'curves/grpo.jsonl'), jsonl(grpo) + '{"step": 16, "loss": 0.0'); // torn last line
  for (const m of s.models) write(join(dir, m.samples_file), jsonl(samples(m.n_problems)));
  return dir;
}

/** Builds <tmp>/reports with a current run, an older run whose paths try to leave the run dir, and broken run dirs. */
export function writeFixture(root = mkdtempSync(join(tmpdir(), 'reprise-serve-'))): { root: string; reportsDir: string } {
  const reportsDir = join(root, 'reports');
  writeRun(reportsDir, Object.assign(summary(RUN_ID, '2025-01-02T03:04:05.000Z'), { references: REFERENCES }));
  const old = summary(OLD_RUN_ID, '2024-12-01T00:00:00.000Z');
  old.models = [{ ...old.models[0], model: 'evil', samples_file: '../../secret.jsonl' }];
  old.curves = { sft: '../../secret.jsonl' };
  old.paired = [];
  writeRun(reportsDir, old);
  write(join(reportsDir, 'secret.jsonl'), jsonl([{ problem_id: SECRET, prompt: SECRET, completion: SECRET, step: 1, loss: 1 }]));
  write(join(reportsDir, 'runs/broken-json/summary.json'), '{"schema": "reprise.run/v1", "run_id": ');
  write(join(reportsDir, 'runs/wrong-shape/summary.json'), JSON.stringify({ schema: RUN_SCHEMA, run_id: 'wrong-shape' }));
  mkdirSync(join(reportsDir, 'runs/no-summary'), { recursive: true });
  return { root, reportsDir };
}

export const TWO_BENCH_RUN = 'r1-distill-eval-v1-s0-deepseek-ai-DeepSeek-R1-Distill-Qwen-1.5B';
export const SERVED_MODEL = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
export const OTHER_MODEL = 'org/Other-7B';
export const BENCHES = ['math500/open-r1', 'aime24/open-r1'] as const;

/** A run shaped like recipes/r1-distill-eval's, with two models: each on MATH-500 then AIME 2024, each with its own samples file and problem ids. */
export function writeTwoBenchRun(reportsDir: string): void {
  const s = summary(TWO_BENCH_RUN, '2025-01-03T00:00:00.000Z');
  s.recipe = { ...s.recipe, name: 'r1-distill-eval', path: 'recipes/r1-distill-eval/v1.yaml' };
  s.models = [SERVED_MODEL, OTHER_MODEL].flatMap((name) =>
    BENCHES.map((bench, i) => ({
      ...model(name, 'endpoint', est(0.875 - i * 0.6, 0.6 - i * 0.5, 1 - i * 0.5), 4),
      bench,
      samples_file: `samples/${name.replace('/', '-')}-${bench.replace('/', '-')}.jsonl`,
    })),
  );
  const test = { a: OTHER_MODEL, b: SERVED_MODEL, metric: 'pass@1', n_problems: 4, mean_diff: 0.25, lo: 0, hi: 0.5, p_value: 0.03, test: 'paired sign-flip permutation' };
  // the second as a recipe's held-out split records it: without a bench
  s.paired = [{ ...test, bench: 'aime24/open-r1' }, { ...test, mean_diff: -0.1 }];
  s.curves = {};
  const dir = join(reportsDir, 'runs', s.run_id);
  write(join(dir, 'summary.json'), JSON.stringify(s, null, 2));
  for (const m of s.models) {
    const tag = m.bench.split('/')[0];
    write(join(dir, m.samples_file), jsonl(Array.from({ length: 4 }, (_, k) => ({ problem_id: `${tag}-${k}`, prompt: `What is ${k}+100? (${tag})`, completion: `\\boxed{${k + 100}}`, pred: String(k + 100), gold: String(k + 100), correct: true, sample: 0 }))));
  }
}
