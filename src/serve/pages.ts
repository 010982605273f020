// Shared pieces of the HTML pages (hono's escaping `html` template): layout, number formats, links, 404 and error pages.

import { html, raw } from 'hono/html';
import type { Estimate, ModelResult, PairedTest } from '../eval/results.js';

export type Html = ReturnType<typeof html>;

// Pages carry no script; the same policy as the HTTP header, so that exported static files keep it under file://.
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'";

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#223;padding:.6em 1.2em}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1em 1.2em;max-width:1400px}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eee}th a{color:inherit}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
pre{background:#f1f1f1;padding:.6em;overflow:auto;white-space:pre-wrap;word-break:break-word;max-height:32em}
code{background:#f1f1f1;padding:0 .2em}.muted{color:#666}.warn{color:#8a5a00}
pre.recipe .k{color:#1a4d8f}pre.recipe .c{color:#777}
section.model{border-top:1px solid #ccc;margin-top:1em}.charts{display:flex;flex-wrap:wrap;gap:.8em}
.chart{background:#fff;border:1px solid #e3e3e3}
article.sample{border:1px solid #ddd;background:#fff;padding:.5em .8em;margin:.6em 0}
.ok,.in{color:#176f2c;font-weight:600}.bad,.out{color:#a31515;font-weight:600}.unk{color:#666;font-weight:600}
nav.pager a,nav.filters a{margin-right:.8em}nav.filters{margin:.3em 0}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:1em}.sbs>div{min-width:0}
`;

export function layout(title: string, body: Html, status = ''): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${title} · Reprise</title><style>${raw(CSS)}</style></head>
<body><header><a href="/">Reprise leaderboard</a>${status ? html` <span class="muted">${status}</span>` : ''}</header>
<main>${body}</main></body></html>`;
}

export const pct = (v: number): string => (Number.isFinite(v) ? (v * 100).toFixed(1) : '?');
export const pts = (v: number): string => (v < 0 ? `−${pct(-v)}` : pct(v));
/** A signed difference in percentage points: "+1.2", "−3.4". */
export const signedPts = (v: number): string => (v >= 0 ? `+${pct(v)}` : pts(v));

/** "42.5% [38.1, 47.0]" */
export function formatEstimate(e: Estimate | undefined): string {
  return e ? `${pct(e.value)}% [${pct(e.lo)}, ${pct(e.hi)}]` : '—';
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '?';
  if (p < 1e-4) return '< 0.0001';
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

/**
 * "grpo − sft on pass@1: +6.2 pts [3.1, 9.4], p = 0.0004 (paired sign-flip permutation), 200 problems", with
 * " of <bench>" after the metric when the test names its benchmark, or `heldOut` when it does not and one is given.
 */
export function formatPaired(t: PairedTest, heldOut?: string): string {
  const sign = t.mean_diff >= 0 ? '+' : '';
  const p = formatP(t.p_value);
  const bench = t.bench ?? heldOut;
  return `${t.b} − ${t.a} on ${t.metric}${bench ? ` of ${bench}` : ''}: ${sign}${pts(t.mean_diff)} pts [${pts(t.lo)}, ${pts(t.hi)}], p ${p.startsWith('<') ? p : `= ${p}`} (${t.test}), ${t.n_problems} problems`;
}

/** What a paired test without a bench was on (the recipe's held-out split), said only where a run has several benchmarks. */
export function heldOut(models: readonly ModelResult[]): string | undefined {
  return new Set(models.map((m) => m.bench)).size > 1 ? 'the held-out test split' : undefined;
}

/** Appends the non-empty parameters as a query string. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

export const runHref = (id: string): string => `/runs/${encodeURIComponent(id)}`;

/**
 * The benchmark a link to m must name: null when m's run evaluates a model of that name on one benchmark only, so
 * that links into single-benchmark runs keep the form they had before runs held several.
 */
export function linkBench(models: readonly ModelResult[], m: ModelResult): string | null {
  return models.filter((x) => x.model === m.model).length > 1 ? m.bench : null;
}

/** The id of a model's section on its run page: "model-grpo", or "model-grpo@gsm8k/default" beside another bench. */
export const modelAnchor = (model: string, bench: string | null = null): string => `model-${model}${bench === null ? '' : `@${bench}`}`;
export const modelHref = (id: string, model: string, bench: string | null = null): string => `${runHref(id)}#${encodeURIComponent(modelAnchor(model, bench))}`;
export const samplesHref = (id: string, model: string, bench: string | null = null, params: Record<string, string | number | null> = {}): string =>
  withQuery(`${runHref(id)}/samples/${encodeURIComponent(model)}`, { bench, ...params });
/** Run ids are directory names, so they hold no "/" and "<run>/<model>" splits unambiguously at the first one. */
export const runModelKey = (id: string, model: string): string => `${id}/${model}`;
/** `bench` picks side a's model where its run has it on several benchmarks; side b takes the same benchmark where it can. */
export const compareHref = (problem: string, a: string, b: string, bench: string | null = null): string => withQuery('/compare', { problem, a, b, bench });

/** The leaderboard's metric columns; a "maj@<k>" key stands in when there is no literal "maj@n". */
export function pickMetric(m: ModelResult, col: 'pass@1' | 'greedy' | 'maj@n'): Estimate | undefined {
  const metrics = m.metrics ?? {};
  if (metrics[col]) return metrics[col];
  if (col === 'maj@n') return Object.entries(metrics).find(([k]) => k.startsWith('maj@'))?.[1];
  return undefined;
}

export function warningsBlock(warnings: readonly string[]): Html {
  if (!warnings.length) return html``;
  return html`<div class="warn"><p>${warnings.length} report problem(s):</p><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`;
}

export function notFoundPage(what: string): Html {
  return layout('Not found', html`<h1>404 — not found</h1><p>${what}</p><p><a href="/">Back to the leaderboard</a></p>`);
}

export function errorPage(message: string): Html {
  return layout('Error', html`<h1>500 — the page could not be rendered</h1><pre>${message}</pre><p><a href="/">Back to the leaderboard</a></p>`);
}
