// `reprise run` and `reprise validate`.

import { join } from 'node:path';
import { runRecipe, validateRecipe } from '../pipeline/run.js';
import type { RunSummary } from '../eval/results.js';
import { formatDuration } from '../util/progress.js';
import { runBackendFlag } from '../config/recipe.js';

export async function runCommand(recipe: string, opts: { force?: boolean; json?: boolean; reports: string; workDir: string; set?: string[]; newRun?: boolean; backend?: string; accelerateConfig?: string }): Promise<void> {
  const t0 = Date.now();
  const s = await runRecipe({ recipePath: recipe, force: opts.force, reportsDir: opts.reports, workDir: opts.workDir, sets: opts.set ?? [], newRun: opts.newRun, backend: runBackendFlag(opts.backend), accelerateConfig: opts.accelerateConfig });
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
  for (const m of s.models) {
    const p = m.metrics['pass@1'];
    const g = m.metrics.greedy;
    lines.push(`  ${m.model.padEnd(5)} pass@1 ${pct(p.value)}% [${pct(p.lo)}, ${pct(p.hi)}]  greedy ${pct(g.value)}% [${pct(g.lo)}, ${pct(g.hi)}]`);
  }
  for (const t of s.paired) lines.push(`  ${t.b} − ${t.a}: ${t.mean_diff >= 0 ? '+' : ''}${pct(t.mean_diff)} pts [${pct(t.lo)}, ${pct(t.hi)}], p = ${t.p_value.toPrecision(2)}`);
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
    models: Object.fromEntries(s.models.map((m) => [m.model, { checkpoint_hash: m.checkpoint_hash, metrics: m.metrics, counts: m.counts }])),
    paired: s.paired,
    p_value: s.paired[0]?.p_value ?? null,
    wall_s: s.provenance.wall_s,
  };
}
