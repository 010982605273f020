import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseRecipe, type Recipe } from '../../src/config/recipe.js';
import { planTrlExport, type TrlPlan } from '../../src/export/trl.js';
import { writeTrlExport } from '../../src/export/write.js';

const root = resolve(__dirname, '../..');
const V1 = readFileSync(join(root, 'recipes/tiny-r1/v1.yaml'), 'utf8');

interface Fields {
  sources: Record<string, { version: string }>;
  classes: Record<string, { bases: string[]; fields: string[] }>;
  parsers: Record<string, string[]>;
  open_r1: { classes: Record<string, { extends: string; fields: string[] }>; parsers: Record<string, string[]> };
}
const F = JSON.parse(readFileSync(join(root, 'src/export/trl-fields.json'), 'utf8')) as Fields;

function classFields(name: string): string[] {
  if (name.startsWith('open-r1:')) {
    const c = F.open_r1.classes[name.slice(8)];
    return [...c.fields, ...classFields(c.extends)];
  }
  const c = F.classes[name];
  return [...c.fields, ...c.bases.flatMap(classFields)];
}
const parserFields = (p: string) => new Set((F.parsers[p] ?? F.open_r1.parsers[p]).flatMap(classFields));

/** tiny-r1 v1 with some settings changed, parsed by the recipe schema. */
function variant(edit: (r: Record<string, any>) => void): Recipe {
  const raw = parse(V1) as Record<string, any>;
  edit(raw);
  return parseRecipe(stringify(raw), 'variant.yaml');
}

const dapo = variant((r) => {
  Object.assign(r.grpo, { loss_type: 'dapo', epsilon_high: 0.28, scale_rewards: true, ppo_epochs: 2, micro_batch_size: 12, optimizer: 'sgd', min_lr_ratio: 0.5, warmup_steps: 3 });
  r.grpo.rewards = [
    { name: 'accuracy', weight: 1 },
    { name: 'cosine', weight: 0.5, params: { max_len: 60 } },
    { name: 'cosine', weight: 0.25, params: { max_len: 120 } },
    { name: 'soft_overlong_punishment', weight: 1, params: { max_completion_len: 80, soft_punish_cache: 16 } },
  ];
});
const PLANS: [string, TrlPlan][] = [
  ['tiny-r1 v1 from a hub model', planTrlExport(parseRecipe(V1, 'v1.yaml'), { model: 'Qwen/Qwen2.5-0.5B-Instruct' })],
  ['a DAPO/SGD variant from a local Hugging Face directory', planTrlExport(dapo, { model: '/models/qwen2-tiny' })],
];
const entries = (p: TrlPlan, file: string) => Object.fromEntries(p.files.find((f) => f.file === file)!.entries.map((e) => [e.key, e.value]));

function leafPaths(x: unknown, prefix = ''): string[] {
  if (x && typeof x === 'object' && !Array.isArray(x)) return Object.entries(x).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

describe('reprise export trl', () => {
  it('the committed field lists come from TRL 1.13 and transformers 5.17 and hold the fields open-r1 recipes use', () => {
    expect(F.sources.trl.version).toBe('1.13.0');
    expect(F.sources.transformers.version).toBe('5.17.0');
    const grpo = parserFields('trl grpo');
    for (const k of ['model_name_or_path', 'dataset_name', 'learning_rate', 'num_generations', 'beta', 'epsilon', 'epsilon_high', 'loss_type', 'scale_rewards', 'max_completion_length', 'reward_funcs', 'reward_weights'])
      expect(grpo.has(k), k).toBe(true);
    expect(grpo.has('max_seq_length')).toBe(false);
  });

  for (const [label, plan] of PLANS) {
    it(`writes only keys that are fields of TRL's and open-r1's config classes (${label})`, () => {
      for (const f of plan.files) {
        const keys = f.entries.map((e) => e.key);
        expect(new Set(keys).size, f.file).toBe(keys.length);
        for (const parser of [f.parser, f.parser.replace('trl', 'open-r1')]) {
          const known = parserFields(parser);
          expect(keys.filter((k) => !known.has(k)), `${f.file} under ${parser}`).toEqual([]);
        }
      }
    });
  }

  it('accounts for every setting of the recipe: mapped to a TRL key, written as data, or listed as unmapped', () => {
    for (const [recipe, plan] of [[parseRecipe(V1, 'v1.yaml'), PLANS[0][1]], [dapo, PLANS[1][1]]] as const) {
      const covered = [...plan.files.flatMap((f) => f.entries.flatMap((e) => e.from)), ...plan.data.flatMap((d) => d.from), ...plan.unmapped.map((u) => u.key)];
      const lost = leafPaths(recipe).filter((p) => !covered.some((k) => p === k || p.startsWith(`${k}.`)));
      expect(lost).toEqual([]);
    }
  });

  it("maps tiny-r1 v1's Dr. GRPO settings to TRL's names and values", () => {
    const g = entries(PLANS[0][1], 'grpo.yaml');
    expect(g).toMatchObject({
      model_name_or_path: 'runs/sft',
      loss_type: 'dr_grpo',
      scale_rewards: 'none',
      beta: 0.01,
      epsilon: 0.2,
      num_generations: 8,
      per_device_train_batch_size: 16,
      gradient_accumulation_steps: 4,
      num_iterations: 1,
      max_steps: 60,
      max_completion_length: 80,
      temperature: 1,
      learning_rate: 0.00003,
      lr_scheduler_type: 'constant',
      reward_funcs: ['reprise_rewards.accuracy', 'reprise_rewards.format'],
      reward_weights: [1, 0.2],
    });
    expect(g).not.toHaveProperty('epsilon_high');
    const s = entries(PLANS[0][1], 'sft.yaml');
    expect(s).toMatchObject({ model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', learning_rate: 0.003, max_steps: 300, per_device_train_batch_size: 16, lr_scheduler_type: 'cosine_with_min_lr', lr_scheduler_kwargs: { min_lr_rate: 0.1 }, warmup_steps: 20, max_length: 96, completion_only_loss: true, logging_steps: 5 });
  });

  it('maps clip-higher, several PPO epochs, SGD, and repeated parameterised rewards', () => {
    const plan = PLANS[1][1];
    const g = entries(plan, 'grpo.yaml');
    expect(g).toMatchObject({ model_name_or_path: 'runs/sft', loss_type: 'dapo', epsilon_high: 0.28, scale_rewards: 'group', num_iterations: 2, max_steps: 120, save_steps: 20, optim: 'sgd', optim_args: 'momentum=0.9', lr_scheduler_type: 'cosine_with_min_lr', lr_scheduler_kwargs: { min_lr_rate: 0.5 } });
    // 8 prompts × 8 completions = 64 per step; micro_batch_size 12 does not divide it, so 8 × 8
    expect([g.per_device_train_batch_size, g.gradient_accumulation_steps]).toEqual([8, 8]);
    expect(g.reward_funcs).toEqual(['reprise_rewards.accuracy', 'reprise_rewards.cosine', 'reprise_rewards.cosine_2', 'reprise_rewards.soft_overlong_punishment']);
    expect(g.reward_weights).toEqual([1, 0.5, 0.25, 1]);
    expect(plan.rewards[2]).toEqual({ attr: 'cosine_2', name: 'cosine', params: { max_len: 120 }, weight: 0.25 });
    expect(entries(plan, 'sft.yaml').model_name_or_path).toBe('/models/qwen2-tiny');
  });

  it('refuses a from-scratch recipe without --model, naming the field', () => {
    expect(() => planTrlExport(parseRecipe(V1, 'v1.yaml'))).toThrowError(/field "model".*from-scratch GPT[\s\S]*--model/);
  });
});

describe('the files reprise export trl writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-trl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const small = parse(V1) as Record<string, any>;
  small.datagen.splits = { sft: { count: 20, digit_weights: [1, 1] }, rl: { count: 12, digit_weights: [1, 1] }, test: { count: 6, digit_weights: [0, 1, 1] } };
  const recipePath = join(dir, 'small.yaml');
  writeFileSync(recipePath, stringify(small));
  const out = join(dir, 'out');
  const { plan, files } = writeTrlExport(recipePath, out, { model: 'Qwen/Qwen2.5-0.5B-Instruct', rewardsUrl: 'http://127.0.0.1:8788' });

  it('writes the configs, the datasets, the reward module and the unmapped notes', () => {
    expect(files.sort()).toEqual(['data/grpo/test.jsonl', 'data/grpo/train.jsonl', 'data/sft/train.jsonl', 'grpo.yaml', 'reprise_rewards.py', 'reprise_unmapped.md', 'sft.yaml']);
    const notes = readFileSync(join(out, 'reprise_unmapped.md'), 'utf8');
    for (const u of plan.unmapped) expect(notes).toContain(`| ${u.key} |`);
  });

  it('the YAML reads back as the plan, every key with the recipe keys it came from', () => {
    for (const f of plan.files) {
      const text = readFileSync(join(out, f.file), 'utf8');
      expect(parse(text)).toEqual(Object.fromEntries(f.entries.map((e) => [e.key, e.value])));
      expect(text).toContain('# grpo.lr\nlearning_rate: 0.00003\n'.replace('grpo', f.file === 'sft.yaml' ? 'sft' : 'grpo').replace('0.00003', f.file === 'sft.yaml' ? '0.003' : '0.00003'));
    }
  });

  it('writes numbers that PyYAML reads as the same numbers (YAML 1.1 floats need a dot and a signed exponent)', () => {
    // PyYAML's resolver (yaml/resolver.py): int and float patterns of YAML 1.1
    const INT = /^[-+]?(0|[1-9][0-9_]*)$/;
    const FLOAT = /^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$/;
    const text = readFileSync(join(out, 'sft.yaml'), 'utf8') + readFileSync(join(out, 'grpo.yaml'), 'utf8');
    const tokens = [...text.matchAll(/(?<=[:[,] ?)(-?[0-9][0-9.eE+-]*)(?=[,\]}\n])/g)].map((m) => m[1]);
    expect(tokens).toContain('1.0e-8');
    expect(tokens.filter((t) => !INT.test(t) && !FLOAT.test(t))).toEqual([]);
  });

  it("writes the datasets in TRL's conversational formats: prompt + answer for GRPO, prompt + completion for SFT", () => {
    const read = (f: string) => readFileSync(join(out, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const sft = read('data/sft/train.jsonl');
    const rl = read('data/grpo/train.jsonl');
    expect([sft.length, rl.length, read('data/grpo/test.jsonl').length]).toEqual([20, 12, 6]);
    expect(Object.keys(sft[0])).toEqual(['prompt', 'completion']);
    expect(sft[0].prompt.map((m: { role: string }) => m.role)).toEqual(['user']);
    expect(sft[0].completion).toEqual([{ role: 'assistant', content: expect.stringMatching(/^<think>.*<\/think><answer>\d+<\/answer>$/) }]);
    expect(Object.keys(rl[0])).toEqual(['id', 'prompt', 'answer']);
    expect(rl[0].prompt).toEqual([{ role: 'user', content: expect.stringMatching(/^\d+\+\d+$/) }]);
  });

  it('the reward module defines one TRL reward function per recipe reward, calling the server', () => {
    const py = readFileSync(join(out, 'reprise_rewards.py'), 'utf8');
    expect(py).toContain('accuracy = make_reward("accuracy", json.loads("{}"), "accuracy")');
    expect(py).toContain('format = make_reward("format", json.loads("{}"), "format")');
    expect(py).toContain('os.environ.get("REPRISE_REWARDS_URL", "http://127.0.0.1:8788")');
    expect(py).not.toMatch(/^import (?!json|os|urllib|warnings)/m);
  });
});
