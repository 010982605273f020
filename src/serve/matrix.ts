// The leaderboard's matrix: models × benchmarks, recipe runs and `reprise eval` results alike; each cell the
// reproduced number with its interval beside the reference (the eval spec's or the recipe's) and Δ.

import type { Estimate } from '../eval/results.js';
import type { EvalResults, LoadedEval } from './eval-store.js';
import { boardRows, recipeLabel, type RowReference } from './leaderboard.js';
import { linkBench, modelHref } from './pages.js';
import type { Reports } from './store.js';

export interface MatrixCell {
  metric: string;
  est?: Estimate;
  ref: RowReference | null;
  /** The run's model section or the eval's page: where the number comes from. */
  href: string;
}

export interface MatrixRow {
  /** Stable key: "run:<run id>/<model>" or "eval:<model>". */
  key: string;
  label: string;
  /** Where the row comes from: the run and recipe, or "reprise eval". */
  origin: string;
  href: string;
  cells: Map<string, MatrixCell>;
}

export const evalHref = (id: string): string => `/evals/${id.split('/').map(encodeURIComponent).join('/')}`;

/** A reference names a model as its paper does ("DeepSeek-R1-Distill-Qwen-1.5B"); a served name may carry an org prefix. */
function refersTo(refModel: string, served: string): boolean {
  const a = refModel.toLowerCase();
  const b = served.toLowerCase();
  return a === b || b.endsWith(`/${a}`);
}

function compare(est: Estimate | undefined, value: number): Pick<RowReference, 'est' | 'diff' | 'inside'> {
  return est ? { est, diff: est.value - value, inside: est.lo <= value && value <= est.hi } : {};
}

/** The cell of one eval: the metric its reference names (avg@4 for DeepSeek's pass@1), else pass@1. */
export function evalCell(ev: LoadedEval): MatrixCell {
  const r: EvalResults = ev.results;
  const ref = r.references.find((x) => refersTo(x.model, r.model.model));
  const metric = ref?.metric ?? ('pass@1' in r.metrics ? 'pass@1' : Object.keys(r.metrics)[0]);
  return {
    metric,
    est: r.metrics[metric],
    ref: ref ? { metric: ref.metric, value: ref.value, source: ref.source, ...compare(r.metrics[ref.metric], ref.value) } : null,
    href: evalHref(ev.id),
  };
}

export function buildMatrix(reports: Reports): { benches: string[]; rows: MatrixRow[] } {
  const benches: string[] = [];
  const rows = new Map<string, MatrixRow>();
  const put = (row: Omit<MatrixRow, 'cells'>, bench: string, cell: MatrixCell) => {
    if (!benches.includes(bench)) benches.push(bench);
    const r = rows.get(row.key) ?? rows.set(row.key, { ...row, cells: new Map() }).get(row.key)!;
    // reports come newest first: the newest result of a (model, bench) fills the cell
    if (!r.cells.has(bench)) r.cells.set(bench, cell);
  };
  for (const b of boardRows(reports)) {
    const href = modelHref(b.run.id, b.m.model, linkBench(b.run.summary.models, b.m));
    const metric = b.ref?.est ? b.ref.metric : 'pass@1';
    put({ key: `run:${b.run.id}/${b.m.model}`, label: b.m.model, origin: `${recipeLabel(b.run)} · run ${b.run.id}`, href }, b.m.bench, { metric, est: b.m.metrics?.[metric], ref: b.ref, href });
  }
  for (const ev of reports.evals) {
    const model = ev.results.model.model;
    put({ key: `eval:${model}`, label: model, origin: `reprise eval (${ev.results.model.kind})`, href: evalHref(ev.id) }, ev.results.spec.id, evalCell(ev));
  }
  return { benches, rows: [...rows.values()] };
}
