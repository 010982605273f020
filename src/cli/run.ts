// `reprise run` and `reprise validate`.

import { join } from 'node:path';
import { runRecipe } from '../pipeline/run.js';
import { validateRecipe } from '../pipeline/recipe-data.js';
import type { RunSummary } from '../eval/results.js';
import { formatDuration } from '../util/progress.js';
import { runBackendFlag } from '../config/recipe.js';

export async function runCommand(recipe: string, opts: { force?: boolean; json?: boolean; reports: string; workDir: string; set?: string[]; newRun?: boolean; backend?: string; accelerateConfig?: string; endpoint?: string; model?: string; dataDir?: string }): Promise<void> {
  const t0 = Date.now();
  const endpoint = opts.endpoint || opts.model ? { url: opts.endpoint, model: opts.model } : undefined;
  const s = await runRecipe({ recipePath: recipe, force: opts.force, reportsDir: opts.reports, workDir: opts.workDir, sets: opts.set ?? [], newRun: opts.newRun, backend: runBackendFlag(opts.backend), accelerateConfig: opts.accelerateConfig, endpoint, dataDir: opts.dataDir });
  process.stderr.write(summaryText(s, (Date.now() - t0) / 1000, opts.reports));
  if (opts.json) process.stdout.write(JSON.stringify(jsonSummary(s), null, 2) + '\n');
}

export function validateCommand(recipe: string, opts: { set?: string[] } = {}): void {
  const { recipe: r } = validateRecipe(recipe, opts.set ?? []);
  process.stdout.write(`${recipe}: valid (${r.name} v${r.version})\n`);
}

const pct = (x: number) => (100 * x).toFixed(1);

export function summaryText(s: RunSummary, secs: number, reportsDir = 'reports'): string {
  const lines = [`\n${s.run_id}: finished in ${formatDuration(secs)} (stages: ${Object.entries(s.provenance.wall_s).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ')})`];
  const several = new Set(s.models.map((m) => m.bench)).size > 1 || s.models.some((m) => !m.metrics.greedy);
  const est = (name: string, e: { value: number; lo: number; hi: number } | undefined) => (e ? `  ${name} ${pct(e.value)}% [${pct(e.lo)}, ${pct(e.hi)}]` : '');
  for (const m of s.models) {
    const ref = s.references?.find((r) => r.model === m.model && r.bench === m.bench);
    const refText = ref ? `  ${ref.metric} ${pct(m.metrics[ref.metric]?.value ?? NaN)}% vs reference ${pct(ref.value)}%` : '';
    lines.push(`  ${m.model.padEnd(5)}${several ? ` ${m.bench}` : ''}${est('pass@1', m.metrics['pass@1'])}${est('greedy', m.metrics.greedy)}${refText}`);
  }
  for (const t of s.paired) lines.push(`  ${t.b} − ${t.a}${t.bench ? ` on ${t.bench}` : ''}: ${t.mean_diff >= 0 ? '+' : ''}${pct(t.mean_diff)} pts [${pct(t.lo)}, ${pct(t.hi)}], p = ${t.p_value.toPrecision(2)}`);
  lines.push(`  report: ${join(reportsDir, 'runs', s.run_id, 'summary.json')} — see it with \`reprise serve\``);
  return lines.join('\n') + '\n';
}

/** What scripts and CI read: each model's metrics with intervals and the paired tests' p-values. */
export function jsonSummary(s: RunSummary) {
  return {
    run_id: s.run_id,
    recipe: s.recipe.path,
    recipe_sha256: s.recipe.sha256,
    datasets: s.datasets,
    // one key per model, or per model@benchmark when the recipe evaluates several benchmarks
    models: Object.fromEntries(s.models.map((m) => [new Set(s.models.map((x) => x.bench)).size > 1 ? `${m.model}@${m.bench}` : m.model, { bench: m.bench, checkpoint_hash: m.checkpoint_hash, metrics: m.metrics, counts: m.counts }])),
    references: s.references ?? [],
    paired: s.paired,
    p_value: s.paired[0]?.p_value ?? null,
    wall_s: s.provenance.wall_s,
  };
}
