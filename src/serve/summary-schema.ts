// The zod schema of a run summary as the pages read it (RUN_SCHEMA v1): a summary that parses as JSON but holds a
// wrong value anywhere the pages look is refused with the path of that value, so one bad run never breaks a page.

import { z } from 'zod';
import { RUN_SCHEMA, type RunSummary } from '../eval/results.js';

const Estimate = z.looseObject({ value: z.number(), lo: z.number(), hi: z.number(), se: z.number(), method: z.string() });

const ModelResult = z.looseObject({
  model: z.string(),
  stage: z.string(),
  checkpoint_hash: z.string(),
  bench: z.string(),
  n_problems: z.number(),
  n_samples: z.number(),
  sampling: z.looseObject({ temperature: z.number(), top_p: z.number(), max_tokens: z.number(), seed: z.number() }),
  metrics: z.record(z.string(), Estimate),
  counts: z.looseObject({ samples: z.number(), format_ok: z.number(), unjudged: z.number(), truncated: z.number() }),
  mean_completion_tokens: z.number(),
  samples_file: z.string(),
  wall_s: z.number(),
});

const PairedTest = z.looseObject({ a: z.string(), b: z.string(), metric: z.string(), n_problems: z.number(), mean_diff: z.number(), lo: z.number(), hi: z.number(), p_value: z.number(), test: z.string() });

export const RunSummarySchema = z.looseObject({
  schema: z.literal(RUN_SCHEMA),
  run_id: z.string(),
  recipe: z.looseObject({ name: z.string(), version: z.number(), path: z.string(), sha256: z.string(), text: z.string() }),
  provenance: z.looseObject({
    git_commit: z.string().nullable(),
    git_dirty: z.boolean().nullable(),
    seeds: z.record(z.string(), z.number()),
    backend: z.string(),
    versions: z.record(z.string(), z.string()),
    platform: z.string(),
    cpus: z.number(),
    started_at: z.string(),
    finished_at: z.string(),
    wall_s: z.record(z.string(), z.number()),
    command: z.string(),
  }),
  datasets: z.array(z.looseObject({ name: z.string(), path: z.string(), sha256: z.string(), rows: z.number() })),
  models: z.array(ModelResult),
  paired: z.array(PairedTest),
  curves: z.record(z.string(), z.string()),
  /** Filtered entry by entry when read (readReferences): a bad reference drops only itself. */
  references: z.unknown().optional(),
});

// the schema must describe at least what the RunSummary type promises
const covers = (s: z.infer<typeof RunSummarySchema>): Omit<RunSummary, 'references'> => s;
void covers;

/** `paired[0]`, `models[1].metrics["pass@1"].lo` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : typeof k === 'string' && /^[A-Za-z_]\w*$/.test(k) ? `${i ? '.' : ''}${k}` : `[${JSON.stringify(String(k))}]`)).join('') || '(top level)';
}

/** Returns why the value is not a usable RunSummary (the first problem, with its path), or null when it is. */
export function summaryProblem(v: unknown): string | null {
  const r = RunSummarySchema.safeParse(v);
  if (r.success) return null;
  const issue = r.error.issues[0];
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  return `${formatPath(issue.path)}: ${issue.message}${more}`;
}
