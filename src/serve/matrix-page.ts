// The matrix on the leaderboard (models × benchmarks, reproduced beside reported) and the page of one
// `reprise eval` result, which is the provenance behind the matrix's eval cells.

import { html, raw } from 'hono/html';
import type { LoadedEval } from './eval-store.js';
import { buildMatrix, evalCell, type MatrixCell } from './matrix.js';
import { formatEstimate, layout, pct, signedPts, type Html } from './pages.js';
import type { Reports } from './store.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

function refLine(c: MatrixCell): string {
  const ref = c.ref;
  if (!ref) return '<span class="muted">reference —</span>';
  const src = ref.url && /^https?:\/\//i.test(ref.url) ? `<a href="${esc(ref.url)}" rel="noreferrer">${esc(ref.source)}</a>` : esc(ref.source);
  const head = `<span class="ref" title="${esc(ref.source)}">ref ${pct(ref.value)}% <span class="muted">${esc(ref.metric)}</span></span>`;
  if (ref.diff === undefined) return `${head} · <span class="muted">no ${esc(ref.metric)} here</span> <span class="muted">(${src})</span>`;
  const mark = ref.inside ? '<span class="in" title="the reference lies inside the 95% interval">✓</span>' : '<span class="out" title="the reference lies outside the 95% interval">✗</span>';
  return `${head} · <span class="delta">Δ ${signedPts(ref.diff)} pts</span> ${mark} <span class="muted">(${src})</span>`;
}

function cellHtml(bench: string, c: MatrixCell | undefined): string {
  if (!c) return `<td class="num" data-bench="${esc(bench)}">—</td>`;
  const inside = c.ref?.inside === undefined ? '' : ` data-inside="${c.ref.inside}"`;
  return `<td class="num" data-bench="${esc(bench)}"${inside}><a href="${esc(c.href)}">${esc(formatEstimate(c.est))}</a> <span class="muted">${esc(c.metric)}</span><br>${refLine(c)}</td>`;
}

export function matrixTable(reports: Reports): Html {
  const { benches, rows } = buildMatrix(reports);
  if (rows.length === 0) return html``;
  const body = rows
    .map((r) => `<tr data-row="${esc(r.key)}"><th><a href="${esc(r.href)}">${esc(r.label)}</a><br><span class="muted">${esc(r.origin)}</span></th>${benches.map((b) => cellHtml(b, r.cells.get(b))).join('')}</tr>\n`)
    .join('');
  return html`<h2>Reproduced against reported</h2>
<table id="matrix"><thead><tr><th>model</th>${benches.map((b) => html`<th data-bench="${b}">${b}</th>`)}</tr></thead>
<tbody>${raw(body)}</tbody></table>
<p class="muted">Each cell: the reproduced number with its 95% interval (linked to the run or eval that produced it), the
reference it reproduces (the eval spec's or the recipe's), Δ = reproduced − reference, ✓ when the reference lies inside the interval.</p>`;
}

const row = (k: string, v: string): Html => html`<tr><th>${k}</th><td>${v}</td></tr>`;

export function evalPage(ev: LoadedEval): Html {
  const r = ev.results;
  const c = evalCell(ev);
  const metrics = Object.keys(r.metrics);
  const body = html`<h1>${r.spec.id} · ${r.model.model}</h1>
<p class="muted">reprise eval result <code>reports/evals/${ev.id}/results.json</code></p>
<table id="eval-metrics"><thead><tr><th>metric</th><th>${r.verifier.primary} (primary)</th></tr></thead><tbody>
${metrics.map((k) => html`<tr data-metric="${k}"><td>${k}</td><td class="num">${formatEstimate(r.metrics[k])}</td></tr>`)}
</tbody></table>
<p id="eval-reference">${raw(refLine(c))}</p>
<h2>Provenance</h2>
<table id="eval-provenance"><tbody>
${row('spec', `${r.spec.id} v${r.spec.version} (sha256 ${r.spec.sha256.slice(0, 12)})`)}
${row('model', `${r.model.model} (${r.model.kind}${r.model.kind === 'checkpoint' ? `, sha256 ${String((r.model as { checkpoint_sha256?: string }).checkpoint_sha256 ?? '?').slice(0, 12)}` : ''})`)}
${row('data', `${r.data.file} (sha256 ${r.data.sha256.slice(0, 12)}), ${r.data.n_problems} problems, ${r.counts.scored_problems} scored`)}
${row('sampling', `temperature ${r.sampling.temperature}, top_p ${r.sampling.top_p}, max_tokens ${r.sampling.max_tokens}, n ${r.sampling.n}, seed ${r.seeds.base}`)}
${row('verifier', `${r.verifier.scorer}, ${r.verifier.version}`)}
${row('references', r.references.map((x) => `${x.model} ${x.metric} ${pct(x.value)}% (${x.source})`).join('; ') || '—')}
${row('finished', `${r.finished_at}, ${r.wall_s.toFixed(1)} s`)}
</tbody></table>`;
  return layout(`${r.spec.id} · ${r.model.model}`, body);
}
