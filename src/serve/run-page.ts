// The run page: recipe with its hash, provenance, eval results per benchmark against their references, training curves.

import { html, raw } from 'hono/html';
import type { ModelResult } from '../eval/results.js';
import type { BoardRow } from './leaderboard.js';
import { formatEstimate, formatPaired, heldOut, layout, linkBench, modelAnchor, modelHref, pct, samplesHref, signedPts, type Html } from './pages.js';
import type { LoadedRun } from './store.js';

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

/** YAML shown line by line with keys and comments marked; every piece is escaped text. */
export function recipeHtml(text: string): Html {
  const lines = text.split('\n').map((line) => {
    const comment = /^(\s*)(#.*)$/.exec(line);
    if (comment) return html`${comment[1]}<span class="c">${comment[2]}</span>`;
    const key = /^(\s*(?:- )?)([^\s:#][^:#]*):(\s.*|)$/.exec(line);
    return key ? html`${key[1]}<span class="k">${key[2]}</span>:${key[3]}` : html`${line}`;
  });
  return html`<pre class="recipe">${lines.map((l, i) => (i ? html`\n${l}` : l))}</pre>`;
}

function evalTables(run: LoadedRun, rows: readonly BoardRow[]): Html {
  const benches = [...new Set(rows.map((r) => r.m.bench))];
  return html`${benches.map((bench) => {
    const mine = rows.filter((r) => r.m.bench === bench);
    const metrics = [...new Set(mine.flatMap((r) => Object.keys(r.m.metrics ?? {})))];
    return html`<h3 id="bench-${bench}">${bench}</h3>
<table class="eval"><thead><tr><th>model</th><th>stage</th>${metrics.map((k) => html`<th>${k}</th>`)}<th>n</th><th>reference</th><th>Δ</th><th>samples</th></tr></thead><tbody>
${mine.map(({ m, ref }) => {
  const lb = linkBench(run.summary.models, m);
  const diff = ref?.diff === undefined ? '—' : html`${signedPts(ref.diff)} pts ${ref.inside ? html`<span class="in">✓ inside CI</span>` : html`<span class="out">✗ outside CI</span>`}`;
  return html`<tr><td><a href="${modelHref(run.id, m.model, lb)}">${m.model}</a></td><td>${m.stage}</td>${metrics.map((k) => html`<td class="num">${formatEstimate(m.metrics?.[k])}</td>`)}
<td class="num">${m.n_problems} × ${m.n_samples}</td><td class="num">${ref ? `${pct(ref.value)}% ${ref.metric} · ${ref.source}` : '—'}</td><td class="num">${diff}</td>
<td><a href="${samplesHref(run.id, m.model, lb)}">browse</a></td></tr>`;
})}</tbody></table>`;
  })}`;
}

function modelSection(run: LoadedRun, m: ModelResult): Html {
  const s = m.sampling;
  const c = m.counts;
  const lb = linkBench(run.summary.models, m);
  return html`<section class="model" id="${modelAnchor(m.model, lb)}"><h3>${m.model} <span class="muted">(stage ${m.stage}, bench ${m.bench})</span></h3>
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
<p><a href="${samplesHref(run.id, m.model, lb)}">samples of ${m.model}${lb === null ? '' : ` on ${lb}`}</a> <span class="muted">(${m.samples_file})</span></p></section>`;
}

function curvesBlock(run: LoadedRun, curves: readonly CurveView[]): Html {
  if (curves.length === 0) return html`<p class="muted">No training logs in this run.</p>`;
  return html`${curves.map(
    (cv) => html`<section class="curves" id="curves-${cv.stage}"><h3>${cv.stage}</h3>
${
  cv.charts === null
    ? html`<p class="warn">log file ${run.summary.curves[cv.stage]} is missing or lies outside the run directory</p>`
    : html`<p class="muted">${cv.steps} steps${cv.torn ? `, ${cv.torn} unreadable line(s) skipped` : ''}</p><div class="charts">${raw(cv.charts.join(''))}</div>`
}</section>`,
  )}`;
}

export function runPage(run: LoadedRun, rows: readonly BoardRow[], curves: readonly CurveView[]): Html {
  const { summary: sm } = run;
  const p = sm.provenance;
  const body = html`<h1>${run.id}</h1>
<p>${sm.recipe.name} v${sm.recipe.version} · finished ${p.finished_at} · <a href="#eval">eval results</a> · <a href="#curves">training curves</a></p>
<h2 id="recipe">Recipe</h2>
<table><tbody><tr><th>name</th><td>${sm.recipe.name}</td></tr><tr><th>version</th><td>${sm.recipe.version}</td></tr>
<tr><th>path</th><td><code>${sm.recipe.path}</code></td></tr><tr><th>sha256</th><td><code>${sm.recipe.sha256}</code></td></tr></tbody></table>
<details open><summary>recipe text</summary>${recipeHtml(sm.recipe.text)}</details>
<h2 id="provenance">Provenance</h2>
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
<h2 id="eval">Eval results</h2>
${evalTables(run, rows)}
${sm.paired.length ? html`<h2>Paired tests</h2><ul>${sm.paired.map((t) => html`<li>${formatPaired(t, heldOut(sm.models))}</li>`)}</ul>` : ''}
<h2 id="curves">Training curves</h2>
${curvesBlock(run, curves)}
<h2>Models</h2>
${sm.models.map((m) => modelSection(run, m))}
<h2>Datasets</h2>
<table><thead><tr><th>name</th><th>path</th><th>sha256</th><th>rows</th></tr></thead><tbody>
${sm.datasets.map((d) => html`<tr><td>${d.name}</td><td><code>${d.path}</code></td><td><code>${d.sha256}</code></td><td class="num">${d.rows}</td></tr>`)}
</tbody></table>`;
  return layout(run.id, body);
}
