// Loads run summaries from reports/runs/*/summary.json (and eval results, through eval-store.ts) and reads their curve and sample files, confined to the run dir.

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RUN_SCHEMA, type ModelResult, type RunSummary } from '../eval/results.js';
import { readJson, readJsonlTolerant } from '../util/fs.js';
import { summaryProblem } from './summary-schema.js';
import { loadEvals, type LoadedEval } from './eval-store.js';

export interface LoadedRun {
  /** The run directory's name; the only key a request may look a run up by. */
  id: string;
  dir: string;
  summary: RunSummary;
}

export interface Reports {
  runs: LoadedRun[];
  /** `reprise eval` results under reports/evals/. */
  evals: LoadedEval[];
  /** One line per run directory that was skipped or looked odd. */
  warnings: string[];
}

export interface SampleRow {
  problem_id: string;
  prompt: string;
  completion: string;
  pred: string | null;
  /** The extraction rule that produced pred, e.g. "answer_tag". */
  rule: string | null;
  gold: string | null;
  correct: boolean | null;
  format_ok: boolean | null;
  tokens: number | null;
  finished: boolean | null;
  /** -1 is the greedy completion. */
  sample: number;
  rewards?: Record<string, number | null>;
}

/** A number a row reproduces: a paper's, read from the summary's optional `references` field. */
import type { Reference } from '../eval/results.js';
export type { Reference };

export type CurveRow = Record<string, number>;

type Cache = Map<string, { mtimeMs: number; size: number; summary: RunSummary }>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns a reason the value is not a usable RunSummary, or null when it is. */
export function validateSummary(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.schema !== RUN_SCHEMA) return `schema is ${JSON.stringify(v.schema)}, expected "${RUN_SCHEMA}"`;
  return summaryProblem(v);
}

function finishedAt(s: RunSummary): number {
  const t = Date.parse(s.provenance.finished_at);
  return Number.isFinite(t) ? t : -Infinity;
}

/** Scans <reportsDir>/runs/; broken summaries become warnings, never exceptions. Newest run first. */
export function loadReports(reportsDir: string, cache?: Cache, evalCache?: Parameters<typeof loadEvals>[1]): Reports {
  const { evals, warnings: evalWarnings } = loadEvals(reportsDir, evalCache);
  const { runs, warnings } = loadRuns(reportsDir, cache);
  return { runs, evals, warnings: [...warnings, ...evalWarnings] };
}

function loadRuns(reportsDir: string, cache?: Cache): { runs: LoadedRun[]; warnings: string[] } {
  const runsDir = resolve(reportsDir, 'runs');
  const runs: LoadedRun[] = [];
  const warnings: string[] = [];
  let names: string[];
  try {
    names = readdirSync(runsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return { runs, warnings: existsSync(runsDir) ? [`cannot list ${runsDir}`] : [] };
  }
  for (const id of names) {
    const dir = join(runsDir, id);
    const file = join(dir, 'summary.json');
    try {
      const st = statSync(file);
      const hit = cache?.get(file);
      let summary: RunSummary;
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
        summary = hit.summary;
      } else {
        const raw = readJson<unknown>(file);
        const why = validateSummary(raw);
        if (why) {
          cache?.delete(file);
          warnings.push(`runs/${id}/summary.json skipped: ${why}`);
          continue;
        }
        summary = raw as RunSummary;
        cache?.set(file, { mtimeMs: st.mtimeMs, size: st.size, summary });
      }
      if (summary.run_id !== id) warnings.push(`runs/${id}: summary.json names run "${summary.run_id}"; listed under its directory name`);
      runs.push({ id, dir, summary });
    } catch (e) {
      cache?.delete(file);
      const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no summary.json' : (e as Error).message.split('\n')[0].replace(`${file}: `, '');
      warnings.push(`runs/${id} skipped: ${msg}`);
    }
  }
  runs.sort((a, b) => finishedAt(b.summary) - finishedAt(a.summary) || a.id.localeCompare(b.id));
  return { runs, warnings };
}

export interface ReportStore {
  load(): Reports;
  /** readSamples, kept parsed for the few most recent files so that paging through thousands of samples stays fast. */
  samples(run: LoadedRun, model: ModelResult): { rows: SampleRow[]; torn: number } | null;
}

const SAMPLE_FILES_CACHED = 8;

/** A loader that re-lists the runs on every call but re-parses a file only when its mtime or size changed. */
export function createReportStore(reportsDir: string): ReportStore {
  const cache: Cache = new Map();
  const evalCache: Parameters<typeof loadEvals>[1] = new Map();
  const samples = new Map<string, { mtimeMs: number; size: number; value: { rows: SampleRow[]; torn: number } }>();
  return {
    load: () => loadReports(reportsDir, cache, evalCache),
    samples(run, model) {
      const file = resolveInRun(run, model.samples_file);
      if (!file) return null;
      const st = statSync(file);
      const hit = samples.get(file);
      samples.delete(file);
      const value = hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size ? hit.value : readSamples(run, model);
      if (!value) return null;
      samples.set(file, { mtimeMs: st.mtimeMs, size: st.size, value });
      // Map keeps insertion order, so the first key is the least recently used.
      if (samples.size > SAMPLE_FILES_CACHED) samples.delete(samples.keys().next().value!);
      return value;
    },
  };
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/** Resolves a path from a summary against the run dir; null if it leaves the dir (also through symlinks) or is absent. */
export function resolveInRun(run: LoadedRun, rel: unknown): string | null {
  if (typeof rel !== 'string' || rel === '') return null;
  const p = resolve(run.dir, rel);
  if (!inside(run.dir, p) || !existsSync(p)) return null;
  try {
    return inside(realpathSync(run.dir), realpathSync(p)) ? p : null;
  } catch {
    return null;
  }
}

export function findRun(reports: Reports, id: string): LoadedRun | undefined {
  return reports.runs.find((r) => r.id === id);
}

/** The models of that name in the run, one per benchmark it was evaluated on. */
export function modelsNamed(run: LoadedRun, model: string): ModelResult[] {
  return run.summary.models.filter((m) => m.model === model);
}

/** The model of that name on `bench`; without a bench, the only model of that name (none when it has several benchmarks). */
export function findModel(run: LoadedRun, model: string, bench?: string | null): ModelResult | undefined {
  const named = modelsNamed(run, model);
  if (bench) return named.find((m) => m.bench === bench);
  return named.length === 1 ? named[0] : undefined;
}

/** Reads one stage's training log; keeps only finite numeric fields, and only rows with a numeric step. */
export function readCurve(run: LoadedRun, stage: string): { rows: CurveRow[]; torn: number } | null {
  const file = resolveInRun(run, run.summary.curves[stage]);
  if (!file) return null;
  const { rows, torn } = readJsonlTolerant<unknown>(file);
  const out: CurveRow[] = [];
  for (const row of rows) {
    if (!isObj(row) || typeof row.step !== 'number' || !Number.isFinite(row.step)) continue;
    const clean: CurveRow = {};
    for (const [k, v] of Object.entries(row)) if (typeof v === 'number' && Number.isFinite(v)) clean[k] = v;
    out.push(clean);
  }
  return { rows: out, torn };
}

/** The summary's optional `references`, keeping only well-formed entries (the field is newer than RUN_SCHEMA v1). */
export function readReferences(summary: RunSummary): Reference[] {
  const refs = (summary as { references?: unknown }).references;
  if (!Array.isArray(refs)) return [];
  return refs.filter(
    (r): r is Reference =>
      isObj(r) &&
      typeof r.model === 'string' &&
      typeof r.bench === 'string' &&
      typeof r.metric === 'string' &&
      typeof r.value === 'number' &&
      Number.isFinite(r.value) &&
      typeof r.source === 'string' &&
      (r.url === undefined || typeof r.url === 'string'),
  );
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** Reads a model's samples; rows that are not objects are dropped, fields are coerced to display types. */
export function readSamples(run: LoadedRun, model: ModelResult): { rows: SampleRow[]; torn: number } | null {
  const file = resolveInRun(run, model.samples_file);
  if (!file) return null;
  const { rows, torn } = readJsonlTolerant<unknown>(file);
  const out: SampleRow[] = [];
  for (const r of rows) {
    if (!isObj(r)) continue;
    out.push({
      problem_id: str(r.problem_id) ?? '',
      prompt: str(r.prompt) ?? '',
      completion: str(r.completion) ?? '',
      pred: str(r.pred),
      rule: str(r.rule),
      gold: str(r.gold),
      correct: typeof r.correct === 'boolean' ? r.correct : null,
      format_ok: typeof r.format_ok === 'boolean' ? r.format_ok : null,
      tokens: typeof r.tokens === 'number' ? r.tokens : null,
      finished: typeof r.finished === 'boolean' ? r.finished : null,
      sample: typeof r.sample === 'number' ? r.sample : -1,
      rewards: isObj(r.rewards) ? (r.rewards as Record<string, number | null>) : undefined,
    });
  }
  return { rows: out, torn };
}
