// The sample browser of one model in one run: filter by verdict and problem, paginated, each sample linking to a side-by-side view.

import { html } from 'hono/html';
import type { ModelResult } from '../eval/results.js';
import { compareHref, layout, linkBench, modelHref, runHref, runModelKey, samplesHref, type Html } from './pages.js';
import type { LoadedRun, SampleRow } from './store.js';

export const PAGE_SIZE = 50;
export const FILTERS = ['correct', 'incorrect', 'unjudged'] as const;
export type Filter = (typeof FILTERS)[number] | 'all';

export function parseFilter(v: string | undefined): Filter {
  return (FILTERS as readonly string[]).includes(v ?? '') ? (v as Filter) : 'all';
}

export function matches(row: SampleRow, f: Filter): boolean {
  if (f === 'correct') return row.correct === true;
  if (f === 'incorrect') return row.correct === false;
  if (f === 'unjudged') return row.correct === null;
  return true;
}

/** The 1-based page to show: a missing or malformed value is page 1, one past the end is the last page. */
export function clampPage(v: string | undefined, pages: number): number {
  const n = Number.parseInt(v ?? '1', 10);
  return Math.min(Math.max(1, Number.isFinite(n) ? n : 1), Math.max(1, pages));
}

export function verdict(c: boolean | null): Html {
  if (c === true) return html`<span class="ok">correct</span>`;
  if (c === false) return html`<span class="bad">incorrect</span>`;
  return html`<span class="unk">unjudged</span>`;
}

const flag = (b: boolean | null): string => (b === true ? 'yes' : b === false ? 'no' : '?');

/** One completion with everything judged about it; `links` adds the problem and compare links of the browser. */
export function sampleBlock(r: SampleRow, id: string, links?: { problem: string; compare: string | null }): Html {
  const rewards = Object.entries(r.rewards ?? {})
    .map(([k, v]) => `${k}=${v === null ? 'n/a' : v}`)
    .join(', ');
  const pid = links ? html`<a href="${links.problem}" class="problem">${r.problem_id}</a>` : r.problem_id;
  return html`<article class="sample" id="${id}">
<p><strong>${pid}</strong> · ${r.sample < 0 ? 'greedy' : `sample ${r.sample}`} · ${verdict(r.correct)}
 · pred <code class="pred">${r.pred ?? '—'}</code>${r.rule ? html` <span class="muted">(${r.rule})</span>` : ''} · gold <code class="gold">${r.gold ?? '—'}</code>
 · <span class="muted">format ${flag(r.format_ok)}, ${r.tokens ?? '?'} tokens${r.finished === false ? ', truncated' : ''}</span>${rewards ? html` · <span class="muted">rewards ${rewards}</span>` : ''}${
   links?.compare ? html` · <a href="${links.compare}" class="compare">side by side</a>` : ''
 }</p>
<details><summary>prompt</summary><pre class="prompt">${r.prompt}</pre></details>
<pre class="completion">${r.completion}</pre>
</article>`;
}

export interface SamplesView {
  run: LoadedRun;
  model: ModelResult;
  rows: readonly SampleRow[];
  torn: number;
  filter: Filter;
  problem: string | null;
  page?: string;
  /** "<run>/<model>" to show beside this model in the side-by-side view, or null when there is none. */
  compareWith: string | null;
}

export function samplesPage(v: SamplesView): Html {
  const { run, model: m, filter, problem } = v;
  const bench = linkBench(run.summary.models, m);
  const url = (f: Filter, p: string | null, page: number): string =>
    samplesHref(run.id, m.model, bench, { filter: f === 'all' ? null : f, problem: p, page: page > 1 ? page : null });
  const ofProblem = problem === null ? v.rows : v.rows.filter((r) => r.problem_id === problem);
  const counts: Record<Filter, number> = { all: ofProblem.length, correct: 0, incorrect: 0, unjudged: 0 };
  for (const r of ofProblem) for (const f of FILTERS) if (matches(r, f)) counts[f]++;
  const shown = ofProblem.filter((r) => matches(r, filter));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const page = clampPage(v.page, pages);
  const start = (page - 1) * PAGE_SIZE;
  const slice = shown.slice(start, start + PAGE_SIZE);
  const me = runModelKey(run.id, m.model);
  // One problem has a handful of samples: its verdict counts are shown, not linked, which keeps a static export small.
  const filterLink = (f: Filter): Html =>
    f === filter ? html`<strong>${f} (${counts[f]})</strong>` : problem !== null ? html`<span>${f} (${counts[f]})</span>` : html`<a href="${url(f, null, 1)}">${f} (${counts[f]})</a>`;
  const pager = html`<nav class="pager">page ${page} of ${pages}
${page > 1 ? html`<a href="${url(filter, problem, 1)}">first</a><a href="${url(filter, problem, page - 1)}" rel="prev">previous</a>` : ''}
${page < pages ? html`<a href="${url(filter, problem, page + 1)}" rel="next">next</a><a href="${url(filter, problem, pages)}">last</a>` : ''}</nav>`;
  const body = html`<h1>Samples: ${m.model}${bench === null ? '' : html` on ${bench}`}</h1>
<p>run <a href="${runHref(run.id)}">${run.id}</a> · <a href="${modelHref(run.id, m.model, bench)}">metrics of ${m.model}</a> · bench ${m.bench}
 · <code>${m.samples_file}</code>${v.torn ? html` · <span class="warn">${v.torn} unreadable line(s) skipped</span>` : ''}</p>
<nav class="filters">show: ${(['all', ...FILTERS] as Filter[]).map(filterLink)}</nav>
<nav class="filters">problem: ${
    problem === null
      ? html`<strong>all</strong> <span class="muted">(click a problem id to see only its samples)</span>`
      : html`<strong class="problem-filter">${problem}</strong> <a href="${url(filter, null, 1)}">all problems</a>${
          v.compareWith ? html` <a href="${compareHref(problem, me, v.compareWith, bench)}">side by side</a>` : ''
        }`
  }</nav>
<p class="muted">${shown.length ? `samples ${start + 1}–${start + slice.length} of ${shown.length}` : 'no samples match'}</p>
${pager}
${slice.map((r, i) =>
  sampleBlock(r, `s-${start + i + 1}`, { problem: url('all', r.problem_id, 1), compare: v.compareWith ? compareHref(r.problem_id, me, v.compareWith, bench) : null }),
)}
${pages > 1 ? pager : ''}`;
  return layout(`Samples: ${m.model}${bench === null ? '' : ` on ${bench}`} · ${run.id}`, body);
}

/** Answers a samples link that names a model but not which of its benchmarks: one link per benchmark. */
export function benchChoicePage(run: LoadedRun, models: readonly ModelResult[]): Html {
  const name = models[0].model;
  const body = html`<h1>Samples: ${name}</h1>
<p>Run <a href="${runHref(run.id)}">${run.id}</a> evaluated ${name} on ${models.length} benchmarks; choose one:</p>
<ul>${models.map((m) => html`<li><a href="${samplesHref(run.id, m.model, m.bench)}">${m.bench}</a> <span class="muted">(${m.n_problems} problems × ${m.n_samples} samples)</span></li>`)}</ul>`;
  return layout(`Samples: ${name} · ${run.id}`, body);
}
