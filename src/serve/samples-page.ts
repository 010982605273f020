// The paginated, filterable samples page of one model in one run.

import { html } from 'hono/html';
import type { ModelResult } from '../eval/results.js';
import { layout, modelHref, runHref, samplesHref, type Html } from './pages.js';
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

function pageUrl(run: LoadedRun, m: ModelResult, filter: Filter, page: number): string {
  const q = new URLSearchParams();
  if (filter !== 'all') q.set('filter', filter);
  if (page > 1) q.set('page', String(page));
  const qs = q.toString();
  return samplesHref(run.id, m.model) + (qs ? `?${qs}` : '');
}

function verdict(c: boolean | null): Html {
  if (c === true) return html`<span class="ok">correct</span>`;
  if (c === false) return html`<span class="bad">incorrect</span>`;
  return html`<span class="unk">unjudged</span>`;
}

function sampleBlock(r: SampleRow, index: number): Html {
  const rewards = Object.entries(r.rewards ?? {})
    .map(([k, v]) => `${k}=${v === null ? 'n/a' : v}`)
    .join(', ');
  return html`<article class="sample" id="s-${index}">
<p><strong>${r.problem_id}</strong> · ${r.sample < 0 ? 'greedy' : `sample ${r.sample}`} · ${verdict(r.correct)}
 · pred <code>${r.pred ?? '—'}</code> · gold <code>${r.gold ?? '—'}</code>${rewards ? html` · <span class="muted">rewards ${rewards}</span>` : ''}</p>
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
  page?: string;
}

export function samplesPage(v: SamplesView): Html {
  const { run, model: m, filter } = v;
  const counts: Record<Filter, number> = { all: v.rows.length, correct: 0, incorrect: 0, unjudged: 0 };
  for (const r of v.rows) for (const f of FILTERS) if (matches(r, f)) counts[f]++;
  const shown = v.rows.filter((r) => matches(r, filter));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const page = clampPage(v.page, pages);
  const start = (page - 1) * PAGE_SIZE;
  const slice = shown.slice(start, start + PAGE_SIZE);
  const filterLink = (f: Filter): Html =>
    f === filter ? html`<strong>${f} (${counts[f]})</strong>` : html`<a href="${pageUrl(run, m, f, 1)}">${f} (${counts[f]})</a>`;
  const pager = html`<nav class="pager">page ${page} of ${pages}
${page > 1 ? html`<a href="${pageUrl(run, m, filter, 1)}">first</a><a href="${pageUrl(run, m, filter, page - 1)}" rel="prev">previous</a>` : ''}
${page < pages ? html`<a href="${pageUrl(run, m, filter, page + 1)}" rel="next">next</a><a href="${pageUrl(run, m, filter, pages)}">last</a>` : ''}</nav>`;
  const body = html`<h1>Samples: ${m.model}</h1>
<p>run <a href="${runHref(run.id)}">${run.id}</a> · <a href="${modelHref(run.id, m.model)}">metrics of ${m.model}</a> · bench ${m.bench}
 · <code>${m.samples_file}</code>${v.torn ? html` · <span class="warn">${v.torn} unreadable line(s) skipped</span>` : ''}</p>
<nav class="filters">show: ${(['all', ...FILTERS] as Filter[]).map(filterLink)}</nav>
<p class="muted">${shown.length ? `samples ${start + 1}–${start + slice.length} of ${shown.length}` : 'no samples match'}</p>
${pager}
${slice.map((r, i) => sampleBlock(r, start + i + 1))}
${pages > 1 ? pager : ''}`;
  return layout(`Samples: ${m.model} · ${run.id}`, body);
}
