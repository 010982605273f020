// The leaderboard's rows: one per (run, model, bench), each with the reference it reproduces, filtered and sorted by query.

import type { Estimate, ModelResult } from '../eval/results.js';
import { pickMetric } from './pages.js';
import { readReferences, type LoadedRun, type Reports } from './store.js';

export interface RowReference {
  metric: string;
  /** A fraction in [0, 1]. */
  value: number;
  source: string;
  url?: string;
  /** Set when the reference is our own earlier run of the same recipe version. */
  runId?: string;
  /** The row's estimate of the same metric; absent when the row did not measure it. */
  est?: Estimate;
  /** est.value − value. */
  diff?: number;
  /** Whether the reference lies inside the row's 95% interval. */
  inside?: boolean;
}

export interface BoardRow {
  run: LoadedRun;
  m: ModelResult;
  ref: RowReference | null;
}

export const SORT_KEYS = ['run', 'recipe', 'model', 'bench', 'pass1', 'greedy', 'maj', 'n', 'ref', 'diff'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const TEXT_KEYS: readonly SortKey[] = ['run', 'recipe', 'model', 'bench'];

export interface BoardQuery {
  /** null keeps the store's order: newest run first, models as the summary lists them. */
  sort: SortKey | null;
  dir: 'asc' | 'desc';
  bench: string | null;
  recipe: string | null;
}

export function parseBoardQuery(q: (k: string) => string | undefined): BoardQuery {
  const sort = (SORT_KEYS as readonly string[]).includes(q('sort') ?? '') ? (q('sort') as SortKey) : null;
  const dir = q('dir') === 'asc' || q('dir') === 'desc' ? (q('dir') as 'asc' | 'desc') : sort && TEXT_KEYS.includes(sort) ? 'asc' : 'desc';
  return { sort, dir, bench: q('bench') || null, recipe: q('recipe') || null };
}

export const recipeLabel = (run: LoadedRun): string => `${run.summary.recipe.name} v${run.summary.recipe.version}`;

function compare(metric: string, value: number, m: ModelResult): Pick<RowReference, 'est' | 'diff' | 'inside'> {
  const est = m.metrics?.[metric];
  if (!est) return {};
  return { est, diff: est.value - value, inside: est.lo <= value && value <= est.hi };
}

/**
 * A paper's number from the summary's `references` (pass@1 preferred) wins; otherwise the earliest run of the same
 * recipe name and version — our published run — is the reference of every later run's same (model, bench).
 */
export function boardRows(reports: Reports): BoardRow[] {
  const published = new Map<string, { run: LoadedRun; m: ModelResult }>();
  const key = (run: LoadedRun, m: ModelResult): string => JSON.stringify([run.summary.recipe.name, run.summary.recipe.version, m.model, m.bench]);
  // runs come newest first, so the last one written to the map is the earliest
  for (let i = reports.runs.length - 1; i >= 0; i--) {
    const run = reports.runs[i];
    for (const m of run.summary.models) if (!published.has(key(run, m))) published.set(key(run, m), { run, m });
  }
  return reports.runs.flatMap((run) => {
    const refs = readReferences(run.summary);
    return run.summary.models.map((m): BoardRow => {
      const mine = refs.filter((r) => r.model === m.model && r.bench === m.bench);
      const paper = mine.find((r) => r.metric === 'pass@1') ?? mine[0];
      if (paper) {
        return { run, m, ref: { metric: paper.metric, value: paper.value, source: paper.source, url: paper.url, ...compare(paper.metric, paper.value, m) } };
      }
      const pub = published.get(key(run, m));
      const pubEst = pub?.m.metrics?.['pass@1'];
      if (!pub || pub.run === run || !pubEst) return { run, m, ref: null };
      return { run, m, ref: { metric: 'pass@1', value: pubEst.value, source: `run ${pub.run.id}`, runId: pub.run.id, ...compare('pass@1', pubEst.value, m) } };
    });
  });
}

function sortValue(r: BoardRow, k: SortKey): string | number | undefined {
  switch (k) {
    case 'run':
      return r.run.id;
    case 'recipe':
      return recipeLabel(r.run);
    case 'model':
      return r.m.model;
    case 'bench':
      return r.m.bench;
    case 'pass1':
      return pickMetric(r.m, 'pass@1')?.value;
    case 'greedy':
      return pickMetric(r.m, 'greedy')?.value;
    case 'maj':
      return pickMetric(r.m, 'maj@n')?.value;
    case 'n':
      return r.m.n_problems;
    case 'ref':
      return r.ref?.value;
    case 'diff':
      return r.ref?.diff;
  }
}

/** Filters, then sorts stably; rows without a value for the sort key go last in either direction. */
export function selectRows(rows: readonly BoardRow[], q: BoardQuery): BoardRow[] {
  const out = rows.filter((r) => (!q.bench || r.m.bench === q.bench) && (!q.recipe || r.run.summary.recipe.name === q.recipe));
  if (!q.sort) return out;
  const k = q.sort;
  const sign = q.dir === 'asc' ? 1 : -1;
  const keyed = out.map((r, i) => ({ r, i, v: sortValue(r, k) }));
  keyed.sort((x, y) => {
    const missX = x.v === undefined || (typeof x.v === 'number' && !Number.isFinite(x.v));
    const missY = y.v === undefined || (typeof y.v === 'number' && !Number.isFinite(y.v));
    if (missX || missY) return missX === missY ? x.i - y.i : missX ? 1 : -1;
    // code-unit order, not localeCompare: it is stable across machines and fast on thousands of rows
    const c = typeof x.v === 'string' ? (x.v < (y.v as string) ? -1 : x.v > (y.v as string) ? 1 : 0) : (x.v as number) - (y.v as number);
    return c * sign || x.i - y.i;
  });
  return keyed.map((x) => x.r);
}

/** The distinct values a filter can take, in order of first appearance. */
export function filterOptions(rows: readonly BoardRow[]): { benches: string[]; recipes: string[] } {
  return {
    benches: [...new Set(rows.map((r) => r.m.bench))],
    recipes: [...new Set(rows.map((r) => r.run.summary.recipe.name))],
  };
}
