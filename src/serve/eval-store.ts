// Loads `reprise eval` results from reports/evals/**/results.json (up to two folders deep), each validated by a
// zod schema of what the pages read; a broken one becomes a warning, never an exception.

import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { EVAL_SCHEMA } from '../eval/results.js';
import { readJson } from '../util/fs.js';
import { formatPath } from './summary-schema.js';

const Estimate = z.looseObject({ value: z.number(), lo: z.number(), hi: z.number(), se: z.number(), method: z.string() });

export const EvalResultsSchema = z.looseObject({
  schema: z.literal(EVAL_SCHEMA),
  spec: z.looseObject({ id: z.string(), name: z.string(), version: z.number(), sha256: z.string(), files: z.array(z.string()) }),
  data: z.looseObject({ file: z.string(), sha256: z.string(), n_problems: z.number() }),
  model: z.looseObject({ kind: z.enum(['endpoint', 'checkpoint']), model: z.string() }),
  sampling: z.looseObject({ temperature: z.number(), top_p: z.number(), max_tokens: z.number(), n: z.number() }),
  verifier: z.looseObject({ version: z.string(), scorer: z.string(), primary: z.enum(['strict', 'lenient']) }),
  seeds: z.looseObject({ base: z.number() }),
  metrics: z.record(z.string(), Estimate),
  counts: z.looseObject({ problems: z.number(), scored_problems: z.number(), missing_samples: z.number() }),
  wall_s: z.number(),
  references: z.array(z.looseObject({ model: z.string(), metric: z.string(), value: z.number(), source: z.string() })),
  finished_at: z.string(),
});

/** What the pages read of an eval's results.json (eval-results.ts EvalResults holds more). */
export type EvalResults = z.infer<typeof EvalResultsSchema>;

export interface LoadedEval {
  /** The directory under reports/evals/, with "/" between folders: the key an eval page is looked up by. */
  id: string;
  dir: string;
  results: EvalResults;
}

type Cache = Map<string, { mtimeMs: number; size: number; results: EvalResults }>;

function resultFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'results.json')) out.push(join(dir, 'results.json'));
    else if (depth < 2) for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return out.sort();
}

/** Newest first. */
export function loadEvals(reportsDir: string, cache?: Cache): { evals: LoadedEval[]; warnings: string[] } {
  const root = resolve(reportsDir, 'evals');
  const evals: LoadedEval[] = [];
  const warnings: string[] = [];
  for (const file of resultFiles(root)) {
    const id = relative(root, file).split(sep).slice(0, -1).join('/');
    try {
      const st = statSync(file);
      const hit = cache?.get(file);
      let results = hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size ? hit.results : undefined;
      if (!results) {
        const r = EvalResultsSchema.safeParse(readJson<unknown>(file));
        if (!r.success) {
          cache?.delete(file);
          const is = r.error.issues[0];
          warnings.push(`evals/${id}/results.json skipped: ${formatPath(is.path)}: ${is.message}`);
          continue;
        }
        results = r.data;
        cache?.set(file, { mtimeMs: st.mtimeMs, size: st.size, results });
      }
      evals.push({ id, dir: join(root, ...id.split('/')), results });
    } catch (e) {
      cache?.delete(file);
      warnings.push(`evals/${id} skipped: ${(e as Error).message.split('\n')[0].replace(`${file}: `, '')}`);
    }
  }
  const t = (e: LoadedEval) => Date.parse(e.results.finished_at) || -Infinity;
  evals.sort((a, b) => t(b) - t(a) || a.id.localeCompare(b.id));
  return { evals, warnings };
}

export function findEval(evals: readonly LoadedEval[], id: string): LoadedEval | undefined {
  return evals.find((e) => e.id === id);
}
