// The eval-spec schema (evals/<bench>/<variant>.yaml): dataset, prompt, scoring, sampling, metrics, references;
// a variant `extends` its base and states only what differs. Errors name the file, line and key.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseYaml } from './yaml.js';
import { z } from 'zod';
import { InputError, RegistryError } from '../util/errors.js';
import { hashJson } from '../util/hash.js';
import { readText } from '../util/fs.js';
import { packageRoot } from '../util/paths.js';

export const DATA_FORMATS = ['jsonl', 'json', 'jsonl.gz', 'parquet'] as const;
/** math, the code benches, and the task verifiers of the synthetic families (src/verify/task.ts). */
export const SCORERS = ['math', 'code_humaneval', 'code_mbpp', 'countdown', 'integer'] as const;
const positiveInt = z.number().int().positive();

const Dataset = z.strictObject({
  /** Absent for data made here (tiny-r1): `fetch` then says how to make it. */
  hf_id: z.string().optional(),
  hf_config: z.string().default('default'),
  split: z.string(),
  /** A commit of the dataset repository on the hub; `reprise data fetch` downloads exactly this. */
  revision: z.string().optional(),
  /** Path of the file inside the hub repository at that revision. */
  hf_file: z.string().optional(),
  /** How to make the file when it does not come from the hub. */
  made_by: z.string().optional(),
  /** A Reprise recipe whose deterministic datagen makes this split; `reprise eval` regenerates it when the file is missing. */
  recipe: z.string().optional(),
  /** Where the file lies under the data directory, without its extension: `math500/test` → math500/test.jsonl, … */
  local: z.string(),
  formats: z.array(z.enum(DATA_FORMATS)).min(1).default([...DATA_FORMATS]),
  /** Expected SHA-256 of the fetched file, when known; a mismatch is an error. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Record fields: id (optional: the row number), the problem text and the gold answer. */
  /** Record fields (dotted paths reach into arrays: messages.0.content): id (default: the row number), problem, gold answer. */
  fields: z.strictObject({ id: z.string().optional(), problem: z.string(), answer: z.string() }),
  /** The gold is the text after the last occurrence of this marker, commas dropped (GSM8K's "#### 1,234"). */
  answer_after: z.string().optional(),
  /** Keep only rows whose numeric id lies in [lo, hi] (MBPP's test split is task_id 11-510). */
  id_range: z.tuple([z.number(), z.number()]).optional(),
});

const Prompt = z.strictObject({
  system: z.string().optional(),
  /** `{field}` is replaced by the record's field; `{{` and `}}` are literal braces. */
  user: z.string(),
  /** `model`: the model's own chat template (applied by the server, or the local tokenizer). */
  chat_template: z.enum(['model']).default('model'),
});

const Scoring = z.strictObject({
  scorer: z.enum(SCORERS).default('math'),
  preset: z.enum(['default', 'math', 'gsm8k']).default('math'),
  /** Which extraction the headline numbers use; the other is reported beside it. */
  primary: z.enum(['strict', 'lenient']).default('lenient'),
  timeout_ms: positiveInt.default(2000),
});

const Sampling = z.strictObject({
  temperature: z.number().min(0),
  top_p: z.number().gt(0).max(1).default(1),
  max_tokens: positiveInt,
  n: positiveInt,
  seed: z.number().int().nonnegative().default(0),
});

const Metrics = z.strictObject({
  /** k values of pass@k and maj@k; avg@n is always reported. */
  pass_k: z.array(positiveInt).default([1]),
  maj_k: z.array(positiveInt).default([]),
  bootstrap_resamples: positiveInt.default(2000),
});

const Reference = z.strictObject({ model: z.string(), metric: z.string(), value: z.number(), source: z.string() });

export const EvalSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  /** Moves on every change that alters results. */
  version: positiveInt,
  description: z.string().default(''),
  dataset: Dataset,
  prompt: Prompt,
  scoring: Scoring.prefault({}),
  sampling: Sampling,
  metrics: Metrics.prefault({}),
  references: z.array(Reference).default([]),
});
export type EvalSpec = z.infer<typeof EvalSpec>;

export interface LoadedSpec {
  spec: EvalSpec;
  /** `<bench>/<variant>`, e.g. math500/default. */
  id: string;
  /** The files read, base first. */
  files: string[];
  /** Hash of the resolved spec (after `extends`). */
  hash: string;
}

/** $REPRISE_EVALS_DIR, else the evals/ shipped with the package (wherever the command runs from). */
export function evalsDir(root = packageRoot()): string {
  return process.env.REPRISE_EVALS_DIR ?? resolve(root, 'evals');
}

/** Every `<bench>/<variant>` under evals/. */
export function listSpecs(dir = evalsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(dir, d.name)).filter((f) => f.endsWith('.yaml')).map((f) => `${d.name}/${f.slice(0, -5)}`))
    .sort();
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Objects merge key by key; arrays and scalars in the variant replace the base's. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function readYaml(file: string): { data: Record<string, unknown>; lineOf: (key: string) => number | undefined } {
  const text = readText(file);
  const data = parseYaml(text, file).value;
  if (!isObj(data)) throw new InputError('an eval spec must be a YAML mapping', { file });
  const lineOf = (key: string) => {
    const i = text.split('\n').findIndex((l) => new RegExp(`^\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`).test(l));
    return i >= 0 ? i + 1 : undefined;
  };
  return { data, lineOf };
}

/** `math500` means math500/default; `math500/open-r1` names a variant. */
export function loadSpec(name: string, dir = evalsDir()): LoadedSpec {
  const id = name.includes('/') ? name : `${name}/default`;
  const files: string[] = [];
  const chain = (ref: string, seen: string[]): Record<string, unknown> => {
    const file = join(dir, `${ref}.yaml`);
    if (!existsSync(file)) throw new RegistryError('eval spec', ref, listSpecs(dir));
    if (seen.includes(ref)) throw new InputError(`extends forms a cycle: ${[...seen, ref].join(' → ')}`, { file, field: 'extends' });
    const { data } = readYaml(file);
    const { extends: parent, ...rest } = data;
    let merged: unknown = rest;
    if (parent !== undefined) {
      if (typeof parent !== 'string') throw new InputError('extends must name a spec such as "default" or "math500/default"', { file, field: 'extends' });
      const parentRef = parent.includes('/') ? parent : `${ref.split('/')[0]}/${parent}`;
      merged = deepMerge(chain(parentRef, [...seen, ref]), rest);
    }
    files.push(file);
    return merged as Record<string, unknown>;
  };
  const raw = chain(id, []);
  const last = files[files.length - 1];
  const parsed = EvalSpec.safeParse(raw);
  if (!parsed.success) {
    const is = parsed.error.issues[0];
    const path = is.path.filter((k): k is string | number => typeof k !== 'symbol');
    const key = path.join('.');
    const msg = is.code === 'unrecognized_keys' ? `unknown key "${is.keys[0]}" at ${key || 'top level'}` : is.message;
    // the first file in the chain that mentions the key's last segment is where it was written
    const leaf = String(is.code === 'unrecognized_keys' ? is.keys[0] : path[path.length - 1] ?? '');
    const where = [...files].reverse().find((f) => readYaml(f).lineOf(leaf) !== undefined) ?? last;
    throw new InputError(msg, { file: where, line: readYaml(where).lineOf(leaf), field: key || leaf, hint: 'see evals/README.md for the keys of an eval spec' });
  }
  return { spec: parsed.data, id, files, hash: hashJson(parsed.data) };
}
