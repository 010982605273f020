// The datagen recipe schema (recipes/datagen-<name>/v<N>.yaml): synthetic datasets from a family, and teacher
// distillation over OpenAI-compatible endpoints. Unknown keys are errors naming the file, line and allowed keys.

import { parseWithSchema, readConfigFile, type SchemaIssue } from './yaml.js';
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, dashes and underscores');

/** One split of a synthetic family; bounds keep a typo (1e12) from reaching the generator. */
export const SplitSpec = z.strictObject({
  count: positiveInt.max(10_000_000),
  /** Relative weights of 1-, 2-, 3-, … digit operands (index 0 = 1 digit); each family checks its own maximum. */
  digit_weights: z
    .array(z.number().nonnegative())
    .min(1)
    .max(18)
    .refine((w) => w.some((x) => x > 0), 'at least one weight must be positive'),
});

/** Benchmark problems to decontaminate against: one JSONL (or parquet) file and the field holding the problem. */
export const BenchmarkSource = z.strictObject({ bench: z.string(), path: z.string(), field: z.string() });
export type BenchmarkSource = z.infer<typeof BenchmarkSource>;

const Decontaminate = z.strictObject({
  /** open-r1's rule: any shared word n-gram of this length drops the item. */
  ngram: positiveInt.default(8),
  /** Relative paths are from the recipe's directory. */
  benchmarks: z.array(BenchmarkSource).optional(),
  /** Eval specs (math500/default, gsm8k/default, …): each one's data file in the data directory, its `dataset.fields.problem`. */
  specs: z.array(z.string().min(1)).min(1).optional(),
  // neither list: the six benchmarks under ../shared/benchmarks, as version-1 recipes mean it
});

const Synthetic = z.strictObject({
  kind: z.literal('synthetic'),
  name,
  /** A family from datagen/ by registry name (tiny_r1_addition, countdown, multiplication). */
  family: z.string(),
  seed: z.number().int().nonnegative(),
  splits: z.record(name, SplitSpec),
  /** The family's parameters; names and defaults come from the family. */
  params: z.record(z.string(), z.union([z.number(), z.array(z.number())])).default({}),
});

export const Endpoint = z.strictObject({
  base_url: z.string(),
  model: z.string(),
  api_key_env: z.string().optional(),
  timeout_s: z.number().positive().default(600),
});

export const VERIFIER_PRESETS = ['math', 'gsm8k', 'default', 'countdown'] as const;

const Distill = z.strictObject({
  kind: z.literal('distill'),
  name,
  /** JSONL, a JSON array or parquet; relative to the recipe's directory. Exactly one of input and benchmark. */
  input: z.string().min(1).optional(),
  /** An eval spec (gsm8k/train): the rows of its data file in the data directory (--data-dir, $REPRISE_DATA_DIR, .reprise/data). */
  benchmark: z.string().min(1).optional(),
  /** Column names in the input; dotted paths reach into nested values (prompt.0.content). */
  columns: z.strictObject({
    prompt: z.string(),
    /** The gold answer; a list of columns makes a JSON object of them (countdown: [nums, target]). */
    answer: z.union([z.string(), z.array(z.string()).min(1)]),
    id: z.string().optional(),
    /** Keep-rates are reported per value of this column. */
    source: z.string().optional(),
  }),
  limit: positiveInt.optional(),
  system_prompt: z.string().optional(),
  /** `{prompt}` is replaced by the prompt column. */
  prompt_template: z.string().default('{prompt}'),
  endpoints: z.array(Endpoint).min(1),
  /** Completions asked per prompt (n of the request). */
  k: positiveInt.default(4),
  sampling: z
    .strictObject({
      temperature: z.number().nonnegative().default(0.6),
      top_p: z.number().gt(0).max(1).default(0.95),
      max_tokens: positiveInt.default(4096),
      seed: z.number().int().optional(),
    })
    .default({ temperature: 0.6, top_p: 0.95, max_tokens: 4096 }),
  verifier: z.enum(VERIFIER_PRESETS).default('math'),
  /** Keep at most this many verified completions per prompt after deduplication. */
  max_keep_per_prompt: positiveInt.optional(),
  concurrency: positiveInt.default(16),
  max_retries: z.number().int().nonnegative().default(6),
  /** Fraction of prompts that may fail after retries; above it, or when none succeeds, no dataset is written. */
  max_error_rate: z.number().min(0).max(1).default(0),
});

export const DatasetSpec = z.discriminatedUnion('kind', [Synthetic, Distill]);

export const DatagenRecipe = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  version: positiveInt,
  description: z.string().default(''),
  /** Where outputs and manifests go; default .reprise/datasets/<name>. Relative to the working directory. */
  out_dir: z.string().optional(),
  decontaminate: Decontaminate.optional(),
  datasets: z.array(DatasetSpec).min(1),
});

export type DatagenRecipe = z.infer<typeof DatagenRecipe>;
export type SyntheticSpec = z.infer<typeof Synthetic>;
export type DistillSpec = z.infer<typeof Distill>;
export type DecontaminateSpec = z.infer<typeof Decontaminate>;

/** Parses and validates a datagen recipe; `check` adds checks that need registries (family names, params). */
export function parseDatagenRecipe(text: string, file: string, check?: (r: DatagenRecipe) => SchemaIssue[]): DatagenRecipe {
  return parseWithSchema(DatagenRecipe, text, file, allowedKeys, (r) => [...sourceIssues(r), ...(check?.(r) ?? [])]);
}

/** A distill dataset names its prompts once: a file (input) or an eval spec (benchmark). */
function sourceIssues(r: DatagenRecipe): SchemaIssue[] {
  return r.datasets.flatMap((d, i) => {
    if (d.kind !== 'distill' || (d.input === undefined) !== (d.benchmark === undefined)) return [];
    return d.input === undefined
      ? [{ path: ['datasets', i, 'input'], message: 'a distill dataset needs its prompts: input (a file) or benchmark (an eval spec such as gsm8k/train)' }]
      : [{ path: ['datasets', i, 'benchmark'], message: 'name the prompts once: input (a file) or benchmark (an eval spec), not both' }];
  });
}

export function loadDatagenRecipe(path: string, check?: Parameters<typeof parseDatagenRecipe>[2]): { recipe: DatagenRecipe; path: string; text: string } {
  const text = readConfigFile(path, 'datagen recipe', 'datagen recipes live in recipes/datagen-<name>/v<N>.yaml, e.g. recipes/datagen-countdown/v1.yaml');
  return { recipe: parseDatagenRecipe(text, path, check), path, text };
}

/** Keys the schema allows at a path; a dataset's keys depend on its `kind`. */
function allowedKeys(raw: unknown, path: (string | number)[]): string[] {
  let s: z.ZodType = DatagenRecipe;
  let v: unknown = raw;
  for (const k of path) {
    s = unwrap(s, v);
    v = (v as Record<string | number, unknown> | undefined)?.[k];
    if (s instanceof z.ZodObject) s = s.shape[k as string];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
  }
  s = unwrap(s, v);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodType, v: unknown): z.ZodType {
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDiscriminatedUnion) s = (v as { kind?: string })?.kind === 'distill' ? Distill : Synthetic;
    else return s;
  }
}
