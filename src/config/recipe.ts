// The recipe schema: one zod schema is the source of the recipe's types, defaults and error messages.
// Unknown keys are errors; every error names the file, the line, the key and the allowed values.

import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { parseWithSchema, readConfigFile, validateValue, type SchemaIssue } from './yaml.js';
import { resolveRecipeDoc } from './recipe-resolve.js';
import { SplitSpec } from './datagen-spec.js';

export const LOSS_TYPES = ['grpo', 'dr_grpo', 'dapo', 'bnpo'] as const;

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);
/** Sizes are bounded far above what this harness can run, so that a typo (1e9) is refused before it allocates. */
const size = (max: number) => positiveInt.max(max);

const Model = z.strictObject({
  d_model: size(8192),
  n_layer: size(256),
  n_head: size(256),
  context_length: size(32768),
});

/** LoRA as PEFT defines it (src/model/lora.ts); PEFT's defaults except target_modules, which names every projection. */
const Lora = z.strictObject({
  r: positiveInt.default(8),
  lora_alpha: z.number().positive().default(16),
  lora_dropout: fraction.default(0),
  /** Linear layer names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj), "all-linear", or a full-match regex. */
  target_modules: z.union([z.array(z.string()).min(1), z.string()]).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
  use_rslora: z.boolean().default(false),
});

/** A Hugging Face checkpoint (llama, qwen2, qwen3) fine-tuned through LoRA adapters; the path is relative to the repository root. */
const HfModelRef = z.strictObject({
  path: z.string().min(1),
  lora: Lora.prefault({}),
});
export type HfModelRef = z.infer<typeof HfModelRef>;

/** A model behind an OpenAI-compatible endpoint, evaluated only (`reprise run … --endpoint URL --model NAME` overrides both). */
const EndpointModel = z.strictObject({
  endpoint: z.string().regex(/^https?:\/\//, 'an http(s) base URL, e.g. http://127.0.0.1:8000/v1'),
  /** The model's name on the endpoint; rows and references are matched by it. */
  name: z.string().min(1),
  api_key_env: z.string().optional(),
  timeout_s: z.number().positive().default(600),
});
export type EndpointModel = z.infer<typeof EndpointModel>;

/**
 * Where SFT's conversations come from instead of the dataset family's teacher traces (open-r1's dataset options):
 * `from_datagen` names a datagen recipe whose output (distilled, verified, deduplicated chat JSONL) must have been
 * built; `benchmark` names an eval spec whose loader reads the split it names (e.g. gsm8k/train).
 */
const SftDataset = z.strictObject({
  /** A datagen recipe: "datagen-distill-gsm8k/v1" (in recipes/) or a path to its YAML. */
  from_datagen: z.string().min(1).optional(),
  /** Which of its datasets, when it builds more than one. */
  dataset: z.string().min(1).optional(),
  /** An eval spec from evals/, e.g. gsm8k/train: its file, fields and prompt template make the user turns. */
  benchmark: z.string().min(1).optional(),
  /** The record field of the problem (default: the spec's `fields.problem`). */
  prompt_column: z.string().min(1).optional(),
  /** The record field whose text is the assistant turn trained on (GSM8K: answer, the worked solution). */
  completion_column: z.string().min(1).optional(),
  /** A system turn before every conversation (default: the spec's `prompt.system`). */
  system_prompt: z.string().optional(),
  /** Only the first K records. */
  limit: z.number().int().positive().optional(),
  /** Conversations longer than this many tokens (the model's tokenizer and chat template; else o200k_base) are left out, and counted. */
  max_tokens: z.number().int().positive().optional(),
});
export type SftDataset = z.infer<typeof SftDataset>;

/** Where a stage's tensor work runs (absent: tfjs); torch needs a Hugging Face model and a Python with torch (workers/torch). */
export const TrainBackend = z.enum(['tfjs', 'torch']);
const Placement = {
  backend: TrainBackend.optional(),
  /** An accelerate config file (processes, machines, mixed precision) the torch worker is launched with; relative to the working directory. */
  accelerate_config: z.string().min(1).optional(),
};

const Optim = {
  optimizer: z.enum(['adamw', 'sgd']).default('adamw'),
  lr: z.number().positive(),
  warmup_steps: z.number().int().nonnegative().default(0),
  min_lr_ratio: fraction.default(0.1),
  weight_decay: z.number().nonnegative().default(0),
  grad_clip: z.number().nonnegative().default(1),
  beta1: fraction.default(0.9),
  beta2: fraction.default(0.99),
};

const Sft = z.strictObject({
  steps: positiveInt,
  batch_size: size(4096),
  ...Optim,
  ...Placement,
  checkpoint_every: positiveInt.default(50),
  log_every: positiveInt.default(10),
  /** The model it starts from: the base (the only choice; stated for readers of version-2 recipes). */
  from: z.enum(['base']).optional(),
  /** Conversations from a datagen recipe's output or a benchmark's train split; absent: datagen's sft split. */
  dataset: SftDataset.optional(),
});

/** A reward from the registry (src/rewards), its weight in the total, and its parameters if it takes any. */
const RewardRef = z.strictObject({ name: z.string(), weight: z.number().default(1), params: z.record(z.string(), z.unknown()).optional() });

const Grpo = z.strictObject({
  steps: positiveInt,
  prompts_per_step: size(4096),
  /** G: completions sampled per prompt. */
  group_size: z.number().int().min(2).max(1024),
  temperature: z.number().positive(),
  top_p: z.number().gt(0).max(1).default(1),
  max_tokens: size(32768),
  ...Optim,
  ...Placement,
  /** KL coefficient to the reference (SFT) model; 0 turns the reference off. */
  beta: z.number().nonnegative().default(0),
  epsilon: z.number().positive().default(0.2),
  epsilon_high: z.number().positive().optional(),
  loss_type: z.enum(LOSS_TYPES).default('grpo'),
  scale_rewards: z.boolean().default(true),
  /** Policy-gradient passes over each sampled batch (TRL's num_iterations, the μ of the GRPO paper). */
  ppo_epochs: positiveInt.default(1),
  /** Rows per forward/backward; gradients of the micro-batches are summed (bounds memory, not results). */
  micro_batch_size: size(4096).default(16),
  rewards: z.array(RewardRef).min(1),
  checkpoint_every: positiveInt.default(10),
  /** The model it starts from: sft (the default when there is an SFT stage) or base (R1-Zero, as TinyZero). */
  from: z.enum(['base', 'sft']).optional(),
});

/** The recipe's own held-out split among eval.benchmarks (also written `<recipe name>/test`). */
export const TEST_SPLIT = 'test';

const Eval = z.strictObject({
  models: z.array(z.string()).min(1),
  /** Eval specs from evals/ (`gsm8k/default`, `math500/open-r1`) and `test`, the held-out split; absent: [test]. */
  benchmarks: z.array(z.string().min(1)).min(1).optional(),
  /** Sampling of the held-out split (benchmarks sample as their spec says); required when `test` is evaluated. */
  n_samples: size(1024).optional(),
  temperature: z.number().positive().optional(),
  top_p: z.number().gt(0).max(1).default(1),
  max_tokens: size(32768).optional(),
  /** Paired test of two models (b − a) on every benchmark both were evaluated on. */
  paired: z.tuple([z.string(), z.string()]).optional(),
  bootstrap_resamples: positiveInt.default(2000),
  /** Rows per sampling call of a checkpoint; concurrent requests to an endpoint. */
  batch_size: size(4096).default(128),
  /** Only the first K problems of each benchmark (toy runs); recorded in the report. */
  limit: positiveInt.optional(),
  /** How answers are judged; the dataset family's verifier when omitted (math for tiny_r1_addition). */
  scorer: z.enum(['math', 'countdown', 'integer']).optional(),
});

/** tfjs backends a model runs on; the CLI's --backend flags take the same names. */
export const Backend = z.enum(['auto', 'wasm', 'blas', 'cpu', 'webgpu']);
export type Backend = z.infer<typeof Backend>;

/** The --backend flag's value, checked against the recipe schema's enum. */
export function backendFlag(v: string | undefined): Backend | undefined {
  if (v === undefined) return undefined;
  const r = Backend.safeParse(v);
  if (!r.success) throw new InputError(`--backend must be one of ${Backend.options.join(', ')}, got "${v}"`, { field: 'backend' });
  return r.data;
}

/** `reprise run --backend`: a tfjs backend, or torch (the sft and grpo stages' backend). */
export function runBackendFlag(v: string | undefined): Backend | 'torch' | undefined {
  if (v === undefined || v === 'torch') return v;
  if (!Backend.safeParse(v).success) throw new InputError(`--backend must be one of ${[...Backend.options, 'torch'].join(', ')}, got "${v}"`, { field: 'backend' });
  return backendFlag(v);
}

/** Stages placed on torch need a Hugging Face model, and a named accelerate config must exist. */
export function placementIssues(r: Recipe, exists: (path: string) => boolean): ExtraCheck[] {
  const issues: ExtraCheck[] = [];
  for (const stage of ['sft', 'grpo'] as const) {
    const c = r[stage];
    if (c?.backend === 'torch' && !('path' in r.model)) issues.push({ path: [stage, 'backend'], message: 'backend torch trains Hugging Face models (model: {path, lora}); this recipe\'s model is our GPT, which trains on tfjs' });
    if (c?.accelerate_config && c.backend !== 'torch') issues.push({ path: [stage, 'accelerate_config'], message: 'accelerate_config is for backend: torch' });
    if (c?.accelerate_config && !exists(c.accelerate_config)) issues.push({ path: [stage, 'accelerate_config'], message: `no such file: ${c.accelerate_config} (paths are relative to the working directory)` });
  }
  return issues;
}

/** A recipe with `--backend torch` / `--accelerate-config` applied to its training stages. */
export function withTrainPlacement(r: Recipe, backend: 'torch' | undefined, accelerateConfig: string | undefined): Recipe {
  if (!backend && !accelerateConfig) return r;
  const put = <T extends object>(c: T | undefined) => c && { ...c, ...(backend ? { backend } : {}), ...(accelerateConfig ? { accelerate_config: accelerateConfig } : {}) };
  return { ...r, sft: put(r.sft), grpo: put(r.grpo) };
}

export const Recipe = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  version: positiveInt,
  description: z.string().default(''),
  seed: z.number().int().nonnegative(),
  /** auto: webgpu when Dawn finds an adapter, else wasm (the run says which and why). */
  backend: Backend.default('wasm'),
  /** The completion format the teacher writes and the format reward checks, stated for readers. */
  format: z.string().default(''),
  /** A dataset family's splits; needed by a from-scratch model, GRPO, SFT without `sft.dataset`, and the `test` benchmark. */
  datagen: z.strictObject({
    generator: z.string(),
    /** The family's own parameters (datagen/<family>/README.md); omitted ones keep the family's defaults. */
    params: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional(),
    splits: z.strictObject({ sft: SplitSpec, rl: SplitSpec, test: SplitSpec }),
    /** A local chat JSONL file (OpenAI fine-tuning format; e.g. a datagen recipe's distilled traces) that SFT trains on instead of the family's teacher traces; relative to the working directory. */
    sft_file: z.string().min(1).optional(),
  }).optional(),
  /** Our from-scratch GPT's settings, a Hugging Face checkpoint directory with LoRA settings, or an endpoint (eval only). */
  model: z.union([Model, HfModelRef, EndpointModel]),
  /** Stages are optional: SFT only, GRPO only (from the base), SFT then GRPO, or neither (eval of the base). */
  sft: Sft.optional(),
  grpo: Grpo.optional(),
  eval: Eval,
});

export type Recipe = z.infer<typeof Recipe>;
export type GrpoConfig = NonNullable<Recipe['grpo']>;
export type SftConfig = NonNullable<Recipe['sft']>;
export type EvalConfig = Recipe['eval'];
export type DatagenConfig = NonNullable<Recipe['datagen']>;

export type ModelKind = 'gpt' | 'hf' | 'endpoint';
export const modelKind = (m: Recipe['model']): ModelKind => ('path' in m ? 'hf' : 'endpoint' in m ? 'endpoint' : 'gpt');

/** eval.benchmarks with the held-out split written `test`. */
export function evalBenchmarks(r: Pick<Recipe, 'name' | 'eval'>): string[] {
  return (r.eval.benchmarks ?? [TEST_SPLIT]).map((b) => (b === `${r.name}/${TEST_SPLIT}` ? TEST_SPLIT : b));
}

export interface LoadedRecipe {
  recipe: Recipe;
  path: string;
  text: string;
  /** The recipe's identity: its file's hash, or (with `extends` or `--set`) the hash of every input. */
  sha256: string;
  /** The recipes it extends, nearest first. */
  extends: string[];
  /** `--set` overrides as applied (typed). */
  overrides: Record<string, unknown>;
}

export type ExtraCheck = SchemaIssue;

/** Parses and validates a recipe; `check` adds checks that need registries (reward names, generators). */
export function parseRecipe(text: string, file: string, check?: (r: Recipe) => ExtraCheck[]): Recipe {
  return parseWithSchema(Recipe, text, file, (_raw, path) => allowedKeys(path), check);
}

export function loadRecipe(path: string, check?: (r: Recipe) => ExtraCheck[], sets: readonly string[] = []): LoadedRecipe {
  const doc = resolveRecipeDoc(path, sets);
  const recipe = validateValue(Recipe, doc.value, path, doc.lineOf, (_raw, p) => allowedKeys(p), check, doc.fileOf);
  return { recipe, path, text: doc.files[0].text, sha256: doc.sha256, extends: doc.files.slice(1).map((f) => f.path), overrides: doc.overrides };
}

/** Keys the schema allows at a path (for "unknown key" messages). */
function allowedKeys(path: (string | number)[]): string[] {
  let s: z.ZodType = Recipe;
  for (const k of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = s.shape[k as string];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}
