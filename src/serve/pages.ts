// HTML pages of the leaderboard (hono's escaping `html` template): leaderboard, run page, 404 and error pages.

import { html, raw } from 'hono/html';
import type { Estimate, ModelResult, PairedTest } from '../eval/results.js';
import type { LoadedRun, Reports } from './store.js';

export type Html = ReturnType<typeof html>;

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#223;padding:.6em 1.2em}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1em 1.2em;max-width:1200px}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eee}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
pre{background:#f1f1f1;padding:.6em;overflow:auto;white-space:pre-wrap;word-break:break-word;max-height:32em}
code{background:#f1f1f1;padding:0 .2em}.muted{color:#666}.warn{color:#8a5a00}
section.model{border-top:1px solid #ccc;margin-top:1em}.charts{display:flex;flex-wrap:wrap;gap:.8em}
.chart{background:#fff;border:1px solid #e3e3e3}
article.sample{border:1px solid #ddd;background:#fff;padding:.5em .8em;margin:.6em 0}
.ok{color:#176f2c;font-weight:600}.bad{color:#a31515;font-weight:600}.unk{color:#666;font-weight:600}
nav.pager a,nav.filters a{margin-right:.8em}
`;

export function layout(title: string, body: Html, status = ''): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Reprise</title><style>${raw(CSS)}</style></head>
<body><header><a href="/">Reprise leaderboard</a>${status ? html` <span class="muted">${status}</span>` : ''}</header>
<main>${body}</main></body></html>`;
}

const pct = (v: number): string => (Number.isFinite(v) ? (v * 100).toFixed(1) : '?');
const pts = (v: number): string => (v < 0 ? `−${pct(-v)}` : pct(v));

/** "42.5% [38.1, 47.0]" */
export function formatEstimate(e: Estimate | undefined): string {
  return e ? `${pct(e.value)}% [${pct(e.lo)}, ${pct(e.hi)}]` : '—';
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '?';
  if (p < 1e-4) return '< 0.0001';
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

/** "grpo − sft on pass@1: +6.2 pts [3.1, 9.4], p = 0.0004 (paired sign-flip permutation), 200 problems" */
export function formatPaired(t: PairedTest): string {
  const sign = t.mean_diff >= 0 ? '+' : '';
  const p = formatP(t.p_value);
  return `${t.b} − ${t.a} on ${t.metric}: ${sign}${pts(t.mean_diff)} pts [${pts(t.lo)}, ${pts(t.hi)}], p ${p.startsWith('<') ? p : `= ${p}`} (${t.test}), ${t.n_problems} problems`;
}

export const runHref = (id: string): string => `/runs/${encodeURIComponent(id)}`;
export const modelHref = (id: string, model: string): string => `${runHref(id)}#model-${encodeURIComponent(model)}`;
export const samplesHref = (id: string, model: string): string => `${runHref(id)}/samples/${encodeURIComponent(model)}`;

/** The leaderboard's three columns; a "maj@<k>" key stands in when there is no literal "maj@n". */
export function pickMetric(m: ModelResult, col: 'pass@1' | 'greedy' | 'maj@n'): Estimate | undefined {
  const metrics = m.metrics ?? {};
  if (metrics[col]) return metrics[col];
  if (col === 'maj@n') return Object.entries(metrics).find(([k]) => k.startsWith('maj@'))?.[1];
  return undefined;
}

const link = (href: string, text: string): Html => (text === '—' ? html`—` : html`<a href="${href}">${text}</a>`);

function warningsBlock(warnings: readonly string[]): Html {
  if (!warnings.length) return html``;
  return html`<div class="warn"><p>${warnings.length} report problem(s):</p><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`;
}

export function leaderboardPage(reports: Reports): Html {
  const rows = reports.runs.flatMap((run) => run.summary.models.map((m) => ({ run, m })));
  const withPaired = reports.runs.filter((r) => r.summary.paired.length > 0);
  const body = html`<h1>Leaderboard</h1>
${warningsBlock(reports.warnings)}
${
  rows.length === 0
    ? html`<p>No runs under <code>reports/runs/</code> yet. Run <code>reprise run recipes/tiny-r1/v1.yaml</code> to make one.</p>`
    : html`<table><thead><tr><th>run</th><th>recipe</th><th>model</th><th>bench</th><th>pass@1 (mean over n)</th><th>greedy</th><th>maj@n</th><th>problems × samples</th></tr></thead>
<tbody>${rows.map(({ run, m }) => {
        const href = modelHref(run.id, m.model);
        return html`<tr><td><a href="${runHref(run.id)}">${run.id}</a></td><td>${run.summary.recipe.name} v${run.summary.recipe.version}</td><td>${m.model}</td><td>${m.bench}</td>
<td class="num">${link(href, formatEstimate(pickMetric(m, 'pass@1')))}</td><td class="num">${link(href, formatEstimate(pickMetric(m, 'greedy')))}</td>
<td class="num">${link(href, formatEstimate(pickMetric(m, 'maj@n')))}</td><td class="num">${link(href, `${m.n_problems} × ${m.n_samples}`)}</td></tr>`;
      })}</tbody></table>
<p class="muted">Intervals are 95%; each number links to the run and model that produced it.</p>`
}
${
  withPaired.length
    ? html`<h2>Paired tests</h2>${withPaired.map(
        (r) => html`<h3><a href="${runHref(r.id)}">${r.id}</a></h3><ul>${r.summary.paired.map((t) => html`<li>${formatPaired(t)}</li>`)}</ul>`,
      )}`
    : ''
}`;
  return layout('Leaderboard', body, `${reports.runs.length} run(s)`);
}

export interface CurveView {
  stage: string;
  /** SVG markup from charts.ts, or null when the log is missing or outside the run dir. */
  charts: string[] | null;
  steps: number;
  torn: number;
}

const kv = (rec: Record<string, unknown> | undefined): string =>
  Object.entries(rec ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || '—';

const yesNo = (b: boolean | null | undefined): string => (b === true ? 'yes' : b === false ? 'no' : 'unknown');

function modelSection(run: LoadedRun, m: ModelResult): Html {
  const s = m.sampling;
  const c = m.counts;
  return html`<section class="model" id="model-${m.model}"><h3>${m.model} <span class="muted">(stage ${m.stage})</span></h3>
<table><tbody>
<tr><th>checkpoint hash</th><td><code>${m.checkpoint_hash}</code></td></tr>
<tr><th>bench</th><td>${m.bench}: ${m.n_problems} problems × ${m.n_samples} samples</td></tr>
<tr><th>sampling</th><td>${s ? `temperature ${s.temperature}, top_p ${s.top_p}, max_tokens ${s.max_tokens}, seed ${s.seed}` : '—'}</td></tr>
<tr><th>counts</th><td>${c ? `${c.samples} samples, ${c.format_ok} well-formed, ${c.unjudged} unjudged, ${c.truncated} truncated` : '—'}</td></tr>
<tr><th>mean completion tokens</th><td>${m.mean_completion_tokens}</td></tr>
<tr><th>eval wall time</th><td>${m.wall_s} s</td></tr>
</tbody></table>
<table><thead><tr><th>metric</th><th>value [95% interval]</th><th>se</th><th>method</th></tr></thead><tbody>
${Object.entries(m.metrics).map(
  ([k, e]) => html`<tr><td>${k}</td><td class="num">${formatEstimate(e)}</td><td class="num">${pct(e.se)} pts</td><td>${e.method}</td></tr>`,
)}
</tbody></table>
<p><a href="${samplesHref(run.id, m.model)}">samples of ${m.model}</a> <span class="muted">(${m.samples_file})</span></p></section>`;
}

export function runPage(run: LoadedRun, curves: readonly CurveView[]): Html {
  const { summary: sm } = run;
  const p = sm.provenance;
  const body = html`<h1>${run.id}</h1>
<p>${sm.recipe.name} v${sm.recipe.version} · finished ${p.finished_at}</p>
<h2>Recipe</h2>
<table><tbody><tr><th>name</th><td>${sm.recipe.name}</td></tr><tr><th>version</th><td>${sm.recipe.version}</td></tr>
<tr><th>path</th><td><code>${sm.recipe.path}</code></td></tr><tr><th>sha256</th><td><code>${sm.recipe.sha256}</code></td></tr></tbody></table>
<pre>${sm.recipe.text}</pre>
<h2>Provenance</h2>
<table><tbody>
<tr><th>git commit</th><td><code>${p.git_commit ?? 'unknown'}</code></td></tr>
<tr><th>dirty working tree</th><td>${yesNo(p.git_dirty)}</td></tr>
<tr><th>backend</th><td>${p.backend}</td></tr>
<tr><th>seeds</th><td>${kv(p.seeds)}</td></tr>
<tr><th>versions</th><td>${kv(p.versions)}</td></tr>
<tr><th>platform</th><td>${p.platform}, ${p.cpus} CPUs</td></tr>
<tr><th>started</th><td>${p.started_at}</td></tr>
<tr><th>finished</th><td>${p.finished_at}</td></tr>
<tr><th>wall seconds per stage</th><td>${kv(p.wall_s)}</td></tr>
<tr><th>command</th><td><code>${p.command}</code></td></tr>
</tbody></table>
<h2>Datasets</h2>
<table><thead><tr><th>name</th><th>path</th><th>sha256</th><th>rows</th></tr></thead><tbody>
${sm.datasets.map((d) => html`<tr><td>${d.name}</td><td><code>${d.path}</code></td><td><code>${d.sha256}</code></td><td class="num">${d.rows}</td></tr>`)}
</tbody></table>
<h2>Models</h2>
${sm.models.map((m) => modelSection(run, m))}
${sm.paired.length ? html`<h2>Paired tests</h2><ul>${sm.paired.map((t) => html`<li>${formatPaired(t)}</li>`)}</ul>` : ''}
<h2>Training curves</h2>
${curves.length === 0 ? html`<p class="muted">No training logs in this run.</p>` : ''}
${curves.map(
  (cv) => html`<section class="curves" id="curves-${cv.stage}"><h3>${cv.stage}</h3>
${
  cv.charts === null
    ? html`<p class="warn">log file ${sm.curves[cv.stage]} is missing or lies outside the run directory</p>`
    : html`<p class="muted">${cv.steps} steps${cv.torn ? `, ${cv.torn} unreadable line(s) skipped` : ''}</p><div class="charts">${raw(cv.charts.join(''))}</div>`
}</section>`,
)}`;
  return layout(run.id, body);
}

export function notFoundPage(what: string): Html {
  return layout('Not found', html`<h1>404 — not found</h1><p>${what}</p><p><a href="/">Back to the leaderboard</a></p>`);
}

export function errorPage(message: string): Html {
  return layout('Error', html`<h1>500 — the page could not be rendered</h1><pre>${message}</pre><p><a href="/">Back to the leaderboard</a></p>`);
}
