// The shipped recipes run end to end at toy size (through --set overrides, recorded in the report).
import { STAGE_VERSIONS } from '../../src/pipeline/stages.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunSummary } from '../../src/eval/results.js';
import { cli } from '../cli-process.js';

const root = resolve(__dirname, '../..');

const TOY = [
  'datagen.splits.sft.count=200',
  'datagen.splits.rl.count=60',
  'datagen.splits.test.count=12',
  'model.d_model=32',
  'model.n_layer=1',
  'model.n_head=2',
  'sft.steps=10',
  'sft.warmup_steps=2',
  'grpo.steps=2',
  'grpo.prompts_per_step=2',
  'grpo.group_size=2',
  'eval.n_samples=1',
  'eval.bootstrap_resamples=100',
];

async function runToy(recipe: string, runId: string, extra: string[] = []) {
  const base = mkdtempSync(join(tmpdir(), 'reprise-recipes-'));
  const d = { work: join(base, 'work'), reports: join(base, 'reports') };
  const args = (...more: string[]) => ['run', `recipes/${recipe}.yaml`, '--work-dir', d.work, '--reports', d.reports, ...TOY.flatMap((s) => ['--set', s]), ...extra, ...more];
  const r = await cli(args());
  expect(r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
  const summary = JSON.parse(readFileSync(join(d.reports, 'runs', runId, 'summary.json'), 'utf8')) as RunSummary;
  return { summary, d, args };
}

describe('shipped recipes at toy size', () => {
  it('countdown-r1 trains and evaluates with the countdown verifier, and records its overrides', async () => {
    const { summary, args } = await runToy('countdown-r1/v1', 'countdown-r1-v1-s1234');
    expect(summary.recipe.overrides).toMatchObject({ 'grpo.steps': 2, 'model.d_model': 32 });
    expect(summary.recipe.extends).toEqual(['recipes/tiny-r1/v1.yaml']);
    expect(summary.provenance.command).toContain('--set grpo.steps=2');
    expect(summary.models.map((m) => m.model)).toEqual(['base', 'sft', 'grpo']);
    // each stage states the code that produced it
    expect(Object.keys(summary.provenance.stages!)).toEqual(['datagen', 'init', 'sft', 'grpo', 'eval-base', 'eval-sft', 'eval-grpo']);
    for (const [name, st] of Object.entries(summary.provenance.stages!)) expect(st).toMatchObject({ version: STAGE_VERSIONS[name.startsWith('eval') ? 'eval' : name], cached: false, git_commit: summary.provenance.git_commit });
    // (the eval engine still scores every recipe with the math scorer: the countdown verifier is not yet used there)

    // the same name and version with other settings is refused, not overwritten
    const again = await cli(args('--set', 'grpo.steps=3'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/E_RECIPE_CHANGED[\s\S]*countdown-r1 v1 already has a run/);
  }, 600_000);

  it('multiplication-r1 runs with the integer verifier', async () => {
    const { summary } = await runToy('multiplication-r1/v1', 'multiplication-r1-v1-s1234');
    expect(summary.models).toHaveLength(3);
    for (const m of summary.models) expect(m.counts.unjudged).toBe(0);
  }, 600_000);

  it('countdown-r1 as R1-Zero: GRPO straight from the base, no SFT stage', async () => {
    const { summary } = await runToy('countdown-r1/v1', 'countdown-r1-v1-s1234', ['--set', 'sft=null', '--set', 'grpo.from=base', '--set', 'eval.models=[base, grpo]', '--set', 'eval.paired=[base, grpo]']);
    expect(summary.models.map((m) => m.model)).toEqual(['base', 'grpo']);
    expect(Object.keys(summary.provenance.stages!)).toEqual(['datagen', 'init', 'grpo', 'eval-base', 'eval-grpo']);
    expect(summary.paired[0]).toMatchObject({ a: 'base', b: 'grpo' });
    expect(summary.curves).toEqual({ grpo: 'curves/grpo.jsonl' });
  }, 600_000);

  it('tiny-r1 v2, SFT only, on a chat JSONL file (the distillation → SFT path)', async () => {
    const { FAMILIES } = await import('../../datagen/index.js');
    const chat = join(mkdtempSync(join(tmpdir(), 'reprise-chat-')), 'distilled.jsonl');
    const rows = FAMILIES.tiny_r1_addition.generate(99, { x: { count: 150, digit_weights: [1, 1, 0, 0] } }).x;
    writeFileSync(chat, rows.map((r) => JSON.stringify({ messages: r.messages })).join('\n') + '\n');
    const { summary } = await runToy('tiny-r1/v2', 'tiny-r1-v2-s1234', ['--set', `datagen.sft_file=${chat}`, '--set', 'grpo=null', '--set', 'eval.models=[base, sft]', '--set', 'eval.paired=[base, sft]']);
    expect(summary.models.map((m) => m.model)).toEqual(['base', 'sft']);
    expect(summary.datasets.find((d) => d.name === 'sft')?.rows).toBe(150);
    expect(summary.recipe.overrides).toMatchObject({ grpo: null, 'datagen.sft_file': chat });
  }, 600_000);

  it('tiny-r1 v2 over models × benchmarks: its held-out split and the tiny-r1 eval spec, each with the paired test', async () => {
    const data = mkdtempSync(join(tmpdir(), 'reprise-bench-data-'));
    const { summary } = await runToy('tiny-r1/v2', 'tiny-r1-v2-s1234', ['--data-dir', data, '--set', 'eval.benchmarks=[tiny-r1/test, tiny-r1/default]', '--set', 'eval.limit=6']);
    expect(summary.models.map((m) => `${m.model} ${m.bench} ${m.n_problems}×${m.n_samples}`)).toEqual([
      'base tiny-r1/test 12×1', 'base tiny-r1/default 6×8', 'sft tiny-r1/test 12×1', 'sft tiny-r1/default 6×8', 'grpo tiny-r1/test 12×1', 'grpo tiny-r1/default 6×8',
    ]);
    // the spec's data is regenerated from its recipe into the data directory, as `reprise eval` does
    expect(readFileSync(join(data, 'tiny-r1', 'test.jsonl'), 'utf8').trim().split('\n')).toHaveLength(300);
    expect(summary.models[1].metrics).toHaveProperty('maj@8');
    expect(summary.paired.map((t) => [t.a, t.b, t.bench ?? 'test', t.n_problems])).toEqual([['sft', 'grpo', 'test', 12], ['sft', 'grpo', 'tiny-r1/default', 6]]);
  }, 600_000);
});
