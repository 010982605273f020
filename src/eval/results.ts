// The shape of what a run leaves in reports/: the run summary (summary.json) that the leaderboard, the run
// pages and `reprise run --json` all read. Changing a field here changes the reports' schema version.

export const RUN_SCHEMA = 'reprise.run/v1';
/** The results.json of one `reprise eval` (eval-results.ts). */
export const EVAL_SCHEMA = 'reprise.eval/v1';

/** A metric with its 95% interval and standard error; values are fractions in [0, 1]. */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
  se: number;
  /** How the interval was made, e.g. "bootstrap over problems, 2000 resamples". */
  method: string;
}

export interface ModelResult {
  /** Row name on the leaderboard: "base", "sft", "grpo". */
  model: string;
  /** The stage that produced the checkpoint ("init" for the untrained base). */
  stage: string;
  checkpoint_hash: string;
  bench: string;
  n_problems: number;
  /** Samples per problem at temperature > 0. */
  n_samples: number;
  sampling: { temperature: number; top_p: number; max_tokens: number; seed: number };
  /** "pass@1" (mean over n samples), "greedy", "maj@n", "pass@n". */
  metrics: Record<string, Estimate>;
  counts: { samples: number; format_ok: number; unjudged: number; truncated: number };
  mean_completion_tokens: number;
  /** Relative to the run directory. */
  samples_file: string;
  wall_s: number;
}

export interface PairedTest {
  a: string;
  b: string;
  metric: string;
  n_problems: number;
  /** Mean over problems of b − a. */
  mean_diff: number;
  lo: number;
  hi: number;
  p_value: number;
  test: string;
  /** The benchmark (ModelResult.bench) when the recipe evaluates several; absent: the recipe's held-out split. */
  bench?: string;
}

export interface DatasetRef {
  name: string;
  /** Relative to the project root. */
  path: string;
  sha256: string;
  rows: number;
}

/** A number a run reproduces (a paper's, or our own published run's), shown beside the reproduced one. */
export interface Reference {
  /** ModelResult.model */
  model: string;
  /** ModelResult.bench */
  bench: string;
  /** A key of ModelResult.metrics, e.g. "pass@1". */
  metric: string;
  /** A fraction in [0, 1], like Estimate.value. */
  value: number;
  /** e.g. "DeepSeek-R1 report, table 5" */
  source: string;
  /** http(s) only; other schemes are shown without a link. */
  url?: string;
}

export interface RunSummary {
  schema: typeof RUN_SCHEMA;
  run_id: string;
  /** sha256: the recipe file's, or with `extends`/`--set` the hash of every input (config/recipe-resolve.ts). */
  recipe: { name: string; version: number; path: string; sha256: string; text: string; extends?: string[]; overrides?: Record<string, unknown> };
  provenance: {
    git_commit: string | null;
    git_dirty: boolean | null;
    /** The code ran from a bundle (scripts/device/*-bundle.sh): commit and versions are the bundle's, fixed when it was built. */
    bundle?: true;
    seeds: Record<string, number>;
    backend: string;
    versions: Record<string, string>;
    platform: string;
    cpus: number;
    started_at: string;
    finished_at: string;
    /** Wall seconds per stage, as spent in the run that produced the stage's output (cached stages keep theirs). */
    wall_s: Record<string, number>;
    command: string;
    /** Each stage's cache key, code version and the commit that produced it (null: unknown, as for stages cached before this was recorded). */
    stages?: Record<string, { key: string; version: number; git_commit: string | null; git_dirty: boolean | null; cached: boolean }>;
  };
  datasets: DatasetRef[];
  models: ModelResult[];
  paired: PairedTest[];
  /** Per-stage training logs (JSONL, one row per step, flat numeric keys), relative to the run directory. */
  curves: Record<string, string>;
  references?: Reference[];
}
