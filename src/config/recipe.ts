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
  checkpoint_every: positiveInt.default(50),
  log_every: positiveInt.default(10),
  /** The model it starts from: the base (the only choice; stated for readers of version-2 recipes). */
  from: z.enum(['base']).optional(),
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

const Eval = z.strictObject({
  models: z.array(z.string()).min(1),
  n_samples: size(1024),
  temperature: z.number().positive(),
  top_p: z.number().gt(0).max(1).default(1),
  max_tokens: size(32768),
  paired: z.tuple([z.string(), z.string()]).optional(),
  bootstrap_resamples: positiveInt.default(2000),
  batch_size: size(4096).default(128),
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

export const Recipe = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  version: positiveInt,
  description: z.string().default(''),
  seed: z.number().int().nonnegative(),
  /** auto: webgpu when Dawn finds an adapter, else wasm (the run says which and why). */
  backend: Backend.default('wasm'),
  /** The completion format the teacher writes and the format reward checks, stated for readers. */
  format: z.string(),
  datagen: z.strictObject({
    generator: z.string(),
    /** The family's own parameters (datagen/<family>/README.md); omitted ones keep the family's defaults. */
    params: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional(),
    splits: z.strictObject({ sft: SplitSpec, rl: SplitSpec, test: SplitSpec }),
    /** A local chat JSONL file (OpenAI fine-tuning format; e.g. a datagen recipe's distilled traces) that SFT trains on instead of the family's teacher traces; relative to the working directory. */
    sft_file: z.string().min(1).optional(),
  }),
  /** Our from-scratch GPT's settings, or a Hugging Face checkpoint directory with LoRA settings. */
  model: z.union([Model, HfModelRef]),
  /** Stages are optional: SFT only, GRPO only (from the base), SFT then GRPO, or neither (eval of the base). */
  sft: Sft.optional(),
  grpo: Grpo.optional(),
  eval: Eval,
});

export type Recipe = z.infer<typeof Recipe>;
export type GrpoConfig = NonNullable<Recipe['grpo']>;
export type SftConfig = NonNullable<Recipe['sft']>;
export type EvalConfig = Recipe['eval'];

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
