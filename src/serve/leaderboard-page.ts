// The leaderboard page: sortable, filterable table of reproduced numbers beside their references; works without JavaScript.

import { html, raw } from 'hono/html';
import { formatEstimate, formatPaired, heldOut, layout, linkBench, modelHref, pct, pickMetric, runHref, signedPts, warningsBlock, withQuery, type Html } from './pages.js';
import { boardRows, filterOptions, recipeLabel, selectRows, TEXT_KEYS, type BoardQuery, type BoardRow, type SortKey } from './leaderboard.js';
import type { Reports } from './store.js';
import { matrixTable } from './matrix-page.js';

const COLUMNS: ReadonlyArray<[SortKey, string]> = [
  ['run', 'run'],
  ['recipe', 'recipe'],
  ['model', 'model'],
  ['bench', 'bench'],
  ['pass1', 'pass@1 [95% CI]'],
  ['greedy', 'greedy'],
  ['maj', 'maj@n'],
  ['n', 'n (problems × samples)'],
  ['ref', 'reference'],
  ['diff', 'Δ vs reference'],
];

const boardHref = (q: BoardQuery): string =>
  withQuery('/', { bench: q.bench, recipe: q.recipe, sort: q.sort, dir: q.sort ? q.dir : null });

function headerCell(q: BoardQuery, key: SortKey, label: string): Html {
  const current = q.sort === key;
  const first = TEXT_KEYS.includes(key) ? 'asc' : 'desc';
  const dir = current ? (q.dir === 'asc' ? 'desc' : 'asc') : first;
  const arrow = current ? (q.dir === 'asc' ? ' ▲' : ' ▼') : '';
  const sort = current ? (q.dir === 'asc' ? 'ascending' : 'descending') : 'none';
  return html`<th aria-sort="${sort}" data-key="${key}"><a href="${boardHref({ ...q, sort: key, dir })}">${label}</a>${arrow}</th>`;
}

function filterNav(label: string, values: string[], current: string | null, to: (v: string | null) => string): Html {
  const item = (v: string | null): Html => {
    const text = v ?? 'all';
    return v === current ? html`<strong>${text}</strong>` : html`<a href="${to(v)}">${text}</a>`;
  };
  return html`<nav class="filters" data-filter="${label}">${label}: ${item(null)} ${values.map((v) => html`${item(v)} `)}</nav>`;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text and attribute values; every interpolation into the row strings below goes through it. */
const esc = (s: string | number): string => (typeof s === 'number' ? String(s) : /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s);
const a = (href: string, text: string): string => `<a href="${esc(href)}">${esc(text)}</a>`;

function refCells(r: BoardRow, href: string): string {
  const ref = r.ref;
  if (!ref) return '<td class="num">—</td><td class="num">—</td>';
  const src = ref.runId ? a(runHref(ref.runId), ref.source) : ref.url && /^https?:\/\//i.test(ref.url) ? `<a href="${esc(ref.url)}" rel="noreferrer">${esc(ref.source)}</a>` : esc(ref.source);
  const refCell = `<td class="num">${pct(ref.value)}% <span class="muted">${esc(ref.metric)}</span> · ${src}</td>`;
  if (ref.diff === undefined) return `${refCell}<td class="num">— <span class="muted">(no ${esc(ref.metric)} here)</span></td>`;
  const mark = ref.inside ? '<span class="in">✓ inside CI</span>' : '<span class="out">✗ outside CI</span>';
  return `${refCell}<td class="num" data-inside="${ref.inside}">${a(href, `${signedPts(ref.diff)} pts`)} ${mark}</td>`;
}

// Rows are plain strings rather than nested html`` templates: at 6,000 rows that halves the render time.
function rowHtml(r: BoardRow): string {
  const { run, m } = r;
  const href = modelHref(run.id, m.model, linkBench(run.summary.models, m));
  const cell = (text: string): string => (text === '—' ? '<td class="num">—</td>' : `<td class="num">${a(href, text)}</td>`);
  return (
    `<tr data-run="${esc(run.id)}" data-model="${esc(m.model)}" data-bench="${esc(m.bench)}"><td>${a(runHref(run.id), run.id)}</td><td>${esc(recipeLabel(run))}</td><td>${a(href, m.model)}</td><td>${esc(m.bench)}</td>\n` +
    `${cell(formatEstimate(pickMetric(m, 'pass@1')))}${cell(formatEstimate(pickMetric(m, 'greedy')))}${cell(formatEstimate(pickMetric(m, 'maj@n')))}${cell(`${m.n_problems} × ${m.n_samples}`)}${refCells(r, href)}</tr>\n`
  );
}

export function leaderboardPage(reports: Reports, q: BoardQuery): Html {
  const all = boardRows(reports);
  const rows = selectRows(all, q);
  const { benches, recipes } = filterOptions(all);
  const shownRuns = new Set(rows.map((r) => r.run));
  const withPaired = reports.runs.filter((r) => r.summary.paired.length > 0 && shownRuns.has(r));
  const body = html`<h1>Leaderboard</h1>
${warningsBlock(reports.warnings)}
${matrixTable(reports)}
${
  all.length === 0
    ? html`<p>No runs under <code>reports/runs/</code> yet. Run <code>reprise run recipes/tiny-r1/v1.yaml</code> to make one.</p>`
    : html`<h2>Runs</h2>
${filterNav('bench', benches, q.bench, (v) => boardHref({ ...q, bench: v }))}
${filterNav('recipe', recipes, q.recipe, (v) => boardHref({ ...q, recipe: v }))}
<p class="muted">${rows.length} of ${all.length} row(s)</p>
<table id="leaderboard"><thead><tr>${COLUMNS.map(([k, label]) => headerCell(q, k, label))}</tr></thead>
<tbody>${raw(rows.map(rowHtml).join(''))}</tbody></table>
<p class="muted">Intervals are 95%; each number links to the run and model that produced it. The reference is the number a row
reproduces: a paper's where the run's summary names one, otherwise our earliest run of the same recipe version;
Δ is reproduced − reference, and ✓ marks a reference inside the interval.</p>`
}
${
  withPaired.length
    ? html`<h2>Paired tests</h2>${withPaired.map(
        (r) => html`<h3><a href="${runHref(r.id)}">${r.id}</a></h3><ul>${r.summary.paired.map((t) => html`<li>${formatPaired(t, heldOut(r.summary.models))}</li>`)}</ul>`,
      )}`
    : ''
}`;
  return layout('Leaderboard', body, `${reports.runs.length} run(s), ${reports.evals.length} eval(s)`);
}
