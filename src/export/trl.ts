// A recipe as TRL/open-r1 configs: each Reprise setting mapped to the TRL field that does the same thing, with
// the recipe keys it came from; settings TRL has no field for are listed with the reason, never dropped.
// Field names are TRL 1.13's (src/export/trl-fields.json, extracted from the wheels by scripts/trl/).
//
// Batch shape: one Reprise GRPO step samples prompts_per_step × group_size completions and takes ppo_epochs
// optimizer steps on them; in TRL that is per_device_train_batch_size × processes × gradient_accumulation_steps
// completions per optimizer step (one generation per step by default) and num_iterations = ppo_epochs. The
// numbers written are for one process.

import type { HfModelRef, Recipe } from '../config/recipe.js';
import { InputError, RepriseError } from '../util/errors.js';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface TrlEntry {
  key: string;
  value: Json;
  /** Recipe keys (dotted paths) this value comes from; empty for a setting Reprise fixes (said in `note`). */
  from: string[];
  note?: string;
}

export interface TrlFile {
  file: 'sft.yaml' | 'grpo.yaml';
  parser: 'trl sft' | 'trl grpo';
  entries: TrlEntry[];
}

export interface Unmapped {
  key: string;
  value: unknown;
  reason: string;
}

export interface DataFile {
  file: string;
  split: 'sft' | 'rl' | 'test';
  from: string[];
}

/** A reward function of the exported Python module: `attr` is its name there (and in TRL's logs). */
export interface ExportReward {
  attr: string;
  name: string;
  params: Record<string, unknown>;
  weight: number;
}

export interface TrlPlan {
  files: TrlFile[];
  data: DataFile[];
  rewards: ExportReward[];
  unmapped: Unmapped[];
  /** Where TRL computes something differently from Reprise for the same setting. */
  departures: string[];
}

export interface TrlExportOptions {
  /** Hugging Face model id or directory that SFT (or GRPO, without SFT) starts from. */
  model?: string;
}

const SFT_DATA = 'data/sft';
const GRPO_DATA = 'data/grpo';

function optimizer(stage: 'sft' | 'grpo', c: NonNullable<Recipe['sft'] | Recipe['grpo']>): TrlEntry[] {
  const p = (k: string) => `${stage}.${k}`;
  const out: TrlEntry[] = [
    { key: 'learning_rate', value: c.lr, from: [p('lr')] },
    { key: 'warmup_steps', value: c.warmup_steps, from: [p('warmup_steps')] },
    { key: 'weight_decay', value: c.weight_decay, from: [p('weight_decay')] },
    { key: 'max_grad_norm', value: c.grad_clip, from: [p('grad_clip')] },
    { key: 'adam_beta1', value: c.beta1, from: [p('beta1')] },
    { key: 'adam_beta2', value: c.beta2, from: [p('beta2')] },
    { key: 'adam_epsilon', value: 1e-8, from: [], note: "Reprise's AdamW epsilon" },
  ];
  if (c.optimizer === 'sgd') {
    out.push({ key: 'optim', value: 'sgd', from: [p('optimizer')] });
    out.push({ key: 'optim_args', value: `momentum=${c.beta1}`, from: [p('beta1')], note: 'Reprise SGD uses beta1 as heavy-ball momentum' });
  } else {
    out.push({ key: 'optim', value: 'adamw_torch', from: [p('optimizer')] });
  }
  // Reprise: linear warmup, then cosine from lr to min_lr_ratio × lr (src/train/schedule.ts)
  if (c.min_lr_ratio === 1) {
    out.push({ key: 'lr_scheduler_type', value: c.warmup_steps ? 'constant_with_warmup' : 'constant', from: [p('min_lr_ratio')] });
  } else {
    out.push({ key: 'lr_scheduler_type', value: 'cosine_with_min_lr', from: [p('min_lr_ratio')] });
    out.push({ key: 'lr_scheduler_kwargs', value: { min_lr_rate: c.min_lr_ratio }, from: [p('min_lr_ratio')] });
  }
  return out;
}

function common(recipe: Recipe, stage: 'sft' | 'grpo', model: string, modelNote: string): TrlEntry[] {
  return [
    { key: 'model_name_or_path', value: model, from: [], note: modelNote },
    { key: 'output_dir', value: `runs/${stage}`, from: [], note: 'where TRL writes this stage; GRPO starts from runs/sft' },
    { key: 'run_name', value: `${recipe.name}-v${recipe.version}-${stage}`, from: ['name', 'version'] },
    { key: 'seed', value: recipe.seed, from: ['seed'] },
    { key: 'bf16', value: false, from: [], note: 'Reprise trains in float32; bf16: true is faster on GPUs and changes numerics' },
    { key: 'eval_strategy', value: 'no', from: [], note: "evaluation stays Reprise's: see reprise_unmapped.md" },
  ];
}

/** A recipe's LoRA settings as TRL's ModelConfig fields (none for a from-scratch GPT). */
function peft(hf: HfModelRef | undefined): TrlEntry[] {
  if (!hf) return [];
  const l = hf.lora;
  return [
    { key: 'use_peft', value: true, from: ['model.lora'] },
    { key: 'lora_r', value: l.r, from: ['model.lora.r'] },
    { key: 'lora_alpha', value: l.lora_alpha, from: ['model.lora.lora_alpha'] },
    { key: 'lora_dropout', value: l.lora_dropout, from: ['model.lora.lora_dropout'] },
    { key: 'lora_target_modules', value: l.target_modules, from: ['model.lora.target_modules'] },
    { key: 'use_rslora', value: l.use_rslora, from: ['model.lora.use_rslora'] },
  ];
}

/** The largest divisor of n that is at most cap (so micro-batches tile the step exactly). */
function divisorAtMost(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

function rewardAttrs(rewards: NonNullable<Recipe['grpo']>['rewards']): ExportReward[] {
  const seen = new Map<string, number>();
  return rewards.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return { attr: n === 1 ? r.name : `${r.name}_${n}`, name: r.name, params: r.params ?? {}, weight: r.weight };
  });
}

export function planTrlExport(recipe: Recipe, opts: TrlExportOptions = {}): TrlPlan {
  const hf = 'path' in recipe.model ? recipe.model : undefined;
  const gpt = 'd_model' in recipe.model ? recipe.model : undefined;
  const model = opts.model ?? hf?.path;
  if (!model) {
    throw new InputError(`recipe ${recipe.name} v${recipe.version} trains a from-scratch GPT (model: d_model, n_layer, …), which TRL cannot build`, {
      field: 'model',
      hint: 'pass --model <Hugging Face id or directory> to name the pretrained model TRL starts from',
    });
  }
  const { sft, grpo } = recipe;
  if (!sft || !grpo) {
    throw new RepriseError('E_EXPORT_UNSUPPORTED', `${recipe.name} v${recipe.version}: the TRL export writes an SFT then a GRPO config; this recipe has ${sft ? 'no grpo' : 'no sft'} stage`, 'export a recipe with both stages');
  }
  const sftFile: TrlFile = {
    file: 'sft.yaml',
    parser: 'trl sft',
    entries: [
      ...common(recipe, 'sft', model, opts.model ? 'export --model' : 'the recipe\'s model.path'),
      ...peft(hf),
      { key: 'dataset_name', value: SFT_DATA, from: ['datagen.splits.sft'] },
      { key: 'dataset_train_split', value: 'train', from: [] },
      { key: 'max_steps', value: sft.steps, from: ['sft.steps'] },
      { key: 'per_device_train_batch_size', value: sft.batch_size, from: ['sft.batch_size'] },
      { key: 'gradient_accumulation_steps', value: 1, from: [] },
      ...optimizer('sft', sft),
      ...(gpt ? [{ key: 'max_length', value: gpt.context_length, from: ['model.context_length'] }] : []),
      { key: 'completion_only_loss', value: true, from: [], note: "Reprise's SFT loss is on the assistant's tokens only" },
      { key: 'packing', value: false, from: [] },
      { key: 'save_steps', value: sft.checkpoint_every, from: ['sft.checkpoint_every'] },
      { key: 'logging_steps', value: sft.log_every, from: ['sft.log_every'] },
    ],
  };
  const completions = grpo.prompts_per_step * grpo.group_size;
  const micro = divisorAtMost(completions, grpo.micro_batch_size);
  const rewards = rewardAttrs(grpo.rewards);
  const grpoFile: TrlFile = {
    file: 'grpo.yaml',
    parser: 'trl grpo',
    entries: [
      ...common(recipe, 'grpo', 'runs/sft', "the SFT stage's output, as in the recipe"),
      ...peft(hf),
      { key: 'dataset_name', value: GRPO_DATA, from: ['datagen.splits.rl'] },
      { key: 'dataset_train_split', value: 'train', from: [] },
      { key: 'max_steps', value: grpo.steps * grpo.ppo_epochs, from: ['grpo.steps', 'grpo.ppo_epochs'] },
      { key: 'num_generations', value: grpo.group_size, from: ['grpo.group_size'] },
      { key: 'per_device_train_batch_size', value: micro, from: ['grpo.micro_batch_size'] },
      { key: 'gradient_accumulation_steps', value: completions / micro, from: ['grpo.prompts_per_step', 'grpo.group_size', 'grpo.micro_batch_size'] },
      { key: 'num_iterations', value: grpo.ppo_epochs, from: ['grpo.ppo_epochs'] },
      { key: 'temperature', value: grpo.temperature, from: ['grpo.temperature'] },
      { key: 'top_p', value: grpo.top_p, from: ['grpo.top_p'] },
      { key: 'max_completion_length', value: grpo.max_tokens, from: ['grpo.max_tokens'] },
      ...optimizer('grpo', grpo),
      { key: 'beta', value: grpo.beta, from: ['grpo.beta'] },
      { key: 'epsilon', value: grpo.epsilon, from: ['grpo.epsilon'] },
      ...(grpo.epsilon_high !== undefined ? [{ key: 'epsilon_high', value: grpo.epsilon_high, from: ['grpo.epsilon_high'] }] : []),
      { key: 'loss_type', value: grpo.loss_type, from: ['grpo.loss_type'] },
      { key: 'scale_rewards', value: grpo.scale_rewards ? 'group' : 'none', from: ['grpo.scale_rewards'] },
      { key: 'reward_funcs', value: rewards.map((r) => `reprise_rewards.${r.attr}`), from: ['grpo.rewards'] },
      { key: 'reward_weights', value: rewards.map((r) => r.weight), from: ['grpo.rewards'] },
      { key: 'save_steps', value: grpo.checkpoint_every * grpo.ppo_epochs, from: ['grpo.checkpoint_every', 'grpo.ppo_epochs'] },
      { key: 'logging_steps', value: 1, from: [], note: 'Reprise logs every GRPO step' },
    ],
  };

  const e = recipe.eval;
  const unmapped: Unmapped[] = [
    { key: 'description', value: recipe.description, reason: 'text; written in the header of each config' },
    { key: 'backend', value: recipe.backend, reason: 'a TensorFlow.js backend; TRL runs on PyTorch, on the devices accelerate gives it' },
    { key: 'format', value: recipe.format, reason: 'a statement for readers; the format rewards check it' },
    { key: 'datagen.generator', value: recipe.datagen?.generator ?? null, reason: 'the data is generated now and written as JSONL (see data/)' },
    ...(gpt
      ? (['d_model', 'n_layer', 'n_head'] as const).map((k) => ({
          key: `model.${k}`,
          value: gpt[k],
          reason: `a from-scratch GPT's shape; TRL loads the pretrained model ${model}`,
        }))
      : []),
    ...Object.entries(e).map(([k, v]) => ({
      key: `eval.${k}`,
      value: v,
      reason: 'evaluation is not a TRL stage: run `reprise eval --checkpoint runs/<stage>` (or --endpoint, against a vLLM server of it) with these settings',
    })),
  ];

  const departures = [
    'learning-rate warmup: TRL starts at 0 on the first step, Reprise at lr/warmup_steps.',
    'advantages (scale_rewards: group): TRL divides by the unbiased group std, Reprise by the population std (both + 1e-4).',
    'bnpo: TRL normalises by the tokens of each micro-batch (per_device_train_batch_size), Reprise by those of the whole step; grpo, dapo and dr_grpo aggregate alike.',
    'weight decay: transformers decays every parameter but biases and norm weights; Reprise decays every matrix (embeddings included in both).',
    'rewards: TRL computes them per process; with several processes a group-level reward (length) sees only the completions on one process.',
    'the schedule counts optimizer steps in TRL (steps × num_iterations), GRPO steps in Reprise; they differ only when ppo_epochs > 1.',
  ];
  if (grpo.optimizer === 'sgd' || sft.optimizer === 'sgd') departures.push('SGD: torch couples weight decay to the gradient (L2), Reprise decouples it; the same without momentum.');

  return {
    files: [sftFile, grpoFile],
    data: [
      { file: `${SFT_DATA}/train.jsonl`, split: 'sft', from: ['datagen.splits.sft'] },
      { file: `${GRPO_DATA}/train.jsonl`, split: 'rl', from: ['datagen.splits.rl'] },
      { file: `${GRPO_DATA}/test.jsonl`, split: 'test', from: ['datagen.splits.test'] },
    ],
    rewards,
    unmapped,
    departures,
  };
}
