// Side by side: two models' completions for one problem (two runs, or two stages of one run), with links to step through problems.

import { html } from 'hono/html';
import type { ModelResult } from '../eval/results.js';
import { compareHref, layout, linkBench, runHref, runModelKey, samplesHref, type Html } from './pages.js';
import { sampleBlock } from './samples-page.js';
import { findModel, findRun, type LoadedRun, type Reports, type SampleRow } from './store.js';

export interface Side {
  run: LoadedRun;
  model: ModelResult;
  rows: readonly SampleRow[];
}

const CANDIDATES = 12;

/**
 * Looks up "<run>/<model>" (run ids are directory names, so the first "/" ends the run id) on `bench`; without one,
 * the run must have that model on a single benchmark.
 */
export function parseRunModel(reports: Reports, v: string | undefined, bench?: string | null): { run: LoadedRun; model: ModelResult } | null {
  const at = v?.indexOf('/') ?? -1;
  if (!v || at <= 0) return null;
  const run = findRun(reports, v.slice(0, at));
  const model = run && findModel(run, v.slice(at + 1), bench);
  return run && model ? { run, model } : null;
}

/**
 * What to show beside a model, best first: the same model and bench in other runs (newest first), then the other
 * models of the same run on that bench, nearest earlier stage first (grpo → sft → base).
 */
export function compareCandidates(reports: Reports, run: LoadedRun, m: ModelResult): string[] {
  const out: string[] = [];
  for (const r of reports.runs) {
    if (out.length >= CANDIDATES) break;
    if (r !== run && r.summary.models.some((x) => x.model === m.model && x.bench === m.bench)) out.push(runModelKey(r.id, m.model));
  }
  const models = run.summary.models.filter((x) => x.bench === m.bench);
  const i = models.indexOf(m);
  const others = [...models.slice(0, Math.max(0, i)).reverse(), ...models.slice(i + 1)];
  return [...others.map((x) => runModelKey(run.id, x.model)), ...out].slice(0, CANDIDATES);
}

function column(side: Side, problem: string): Html {
  const mine = side.rows.filter((r) => r.problem_id === problem);
  const correct = mine.filter((r) => r.correct === true).length;
  return html`<div class="side" data-side="${runModelKey(side.run.id, side.model.model)}">
<h2><a href="${runHref(side.run.id)}">${side.run.id}</a> · <a href="${samplesHref(side.run.id, side.model.model, linkBench(side.run.summary.models, side.model), { problem })}">${side.model.model}</a></h2>
<p class="muted">bench ${side.model.bench} · ${mine.length ? `${correct} of ${mine.length} correct` : 'no samples for this problem'}</p>
${mine.map((r, i) => sampleBlock(r, `${side.model.model}-${i}`))}
</div>`;
}

export interface CompareView {
  problem: string;
  a: Side;
  b: Side;
  /** a's problem ids in file order, for previous / next. */
  problems: readonly string[];
  candidates: readonly string[];
}

export function comparePage(v: CompareView): Html {
  const ka = runModelKey(v.a.run.id, v.a.model.model);
  const kb = runModelKey(v.b.run.id, v.b.model.model);
  const benchA = linkBench(v.a.run.summary.models, v.a.model);
  const i = v.problems.indexOf(v.problem);
  const prev = i > 0 ? v.problems[i - 1] : null;
  const next = i >= 0 && i < v.problems.length - 1 ? v.problems[i + 1] : null;
  const first = v.a.rows.find((r) => r.problem_id === v.problem) ?? v.b.rows.find((r) => r.problem_id === v.problem);
  const body = html`<h1>Problem ${v.problem}</h1>
<nav class="pager">${prev !== null ? html`<a href="${compareHref(prev, ka, kb, benchA)}" rel="prev">previous problem</a>` : ''}${
    next !== null ? html`<a href="${compareHref(next, ka, kb, benchA)}" rel="next">next problem</a>` : ''
  }<a href="${compareHref(v.problem, kb, ka, linkBench(v.b.run.summary.models, v.b.model))}">swap sides</a></nav>
${first ? html`<p>gold <code>${first.gold ?? '—'}</code></p><pre class="prompt">${first.prompt}</pre>` : html`<p class="warn">Neither side has samples for this problem.</p>`}
<div class="sbs">${column(v.a, v.problem)}${column(v.b, v.problem)}</div>
${
  v.candidates.length > 1
    ? html`<nav class="filters">compare ${ka} with: ${v.candidates.map((c) =>
        c === kb ? html`<strong>${c}</strong> ` : html`<a href="${compareHref(v.problem, ka, c, benchA)}">${c}</a> `,
      )}</nav>`
    : ''
}`;
  return layout(`Problem ${v.problem} · ${ka} vs ${kb}`, body);
}
