// Server-side render time of the leaderboard over a synthetic reports/ of 1,000 runs × 6 benchmarks (6,000 rows).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_SCHEMA, type Estimate, type RunSummary } from '../src/eval/results.js';
import { createApp } from '../src/serve/app.js';

const RUNS = 1000;
const BENCHES = ['gsm8k', 'math500', 'aime24', 'gpqa', 'humaneval', 'tiny-r1/test'];
const RECIPES = ['tiny-r1', 'open-r1-distill', 'zero-rl', 'dr-grpo'];

const est = (v: number): Estimate => ({ value: v, lo: Math.max(0, v - 0.04), hi: Math.min(1, v + 0.04), se: 0.02, method: 'percentile bootstrap over 500 problems, 2000 resamples' });

function synthSummary(i: number): RunSummary & { references: unknown[] } {
  const recipe = RECIPES[i % RECIPES.length];
  const v = (b: number): number => ((i * 7919 + b * 104729) % 1000) / 1000;
  return {
    schema: RUN_SCHEMA,
    run_id: `run-${String(i).padStart(4, '0')}`,
    recipe: { name: recipe, version: 1 + (i % 3), path: `recipes/${recipe}/v1.yaml`, sha256: 'a'.repeat(64), text: `name: ${recipe}\n` },
    provenance: {
      git_commit: 'b'.repeat(40),
      git_dirty: false,
      seeds: { recipe: i },
      backend: 'wasm',
      versions: { node: 'v20' },
      platform: 'linux-x64',
      cpus: 2,
      started_at: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
      finished_at: new Date(Date.UTC(2025, 0, 1) + i * 60_000 + 30_000).toISOString(),
      wall_s: { eval: 10 },
      command: 'reprise run',
    },
    datasets: [],
    models: BENCHES.map((bench, b) => ({
      model: 'grpo',
      stage: 'grpo',
      checkpoint_hash: 'c'.repeat(64),
      bench,
      n_problems: 500,
      n_samples: 4,
      sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 4096, seed: i },
      metrics: { 'pass@1': est(v(b)), greedy: est(v(b + 1)), 'maj@4': est(v(b + 2)), 'pass@4': est(v(b + 3)) },
      counts: { samples: 2000, format_ok: 1900, unjudged: 3, truncated: 5 },
      mean_completion_tokens: 900,
      samples_file: `samples/${b}.jsonl`,
      wall_s: 100,
    })),
    paired: [],
    curves: {},
    references: i % 2 ? [{ model: 'grpo', bench: 'math500', metric: 'pass@1', value: 0.5, source: 'DeepSeek-R1 report, table 5' }] : [],
  };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

export async function benchServe(): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), 'reprise-serve-bench-'));
  try {
    for (let i = 0; i < RUNS; i++) {
      const dir = join(root, 'runs', `run-${String(i).padStart(4, '0')}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(synthSummary(i)));
    }
    const app = createApp({ reportsDir: root });
    const time = async (path: string): Promise<{ ms: number; bytes: number }> => {
      const t0 = performance.now();
      const res = await app.request(path);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      return { ms: performance.now() - t0, bytes: body.length };
    };
    const cold = await time('/');
    const warm: number[] = [];
    for (let k = 0; k < 15; k++) warm.push((await time('/')).ms);
    const sorted: number[] = [];
    for (let k = 0; k < 10; k++) sorted.push((await time('/?sort=diff&dir=desc&bench=math500')).ms);
    return {
      runs: RUNS,
      rows: RUNS * BENCHES.length,
      leaderboard_cold_ms: cold.ms,
      leaderboard_median_ms: quantile(warm, 0.5),
      leaderboard_p95_ms: quantile(warm, 0.95),
      leaderboard_html_kib: cold.bytes / 1024,
      sorted_filtered_median_ms: quantile(sorted, 0.5),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
