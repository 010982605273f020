// Runs a recipe: datagen → init → SFT → GRPO → eval of each model → report. The one module that knows the
// order of stages. Each stage is cached by the hash of its inputs; a killed run resumes where it stopped.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadRecipe, type Recipe } from '../config/recipe.js';
import { FAMILIES } from '../../datagen/index.js';
import { RegistryError } from '../util/errors.js';
import { checkRewardNames } from '../train/rewards-check.js';
import { sha256, sha256File } from '../util/hash.js';
import { readJsonl, writeJsonAtomic, writeJsonlAtomic } from '../util/fs.js';
import { log, formatDuration } from '../util/progress.js';
import { RUN_SCHEMA, type DatasetRef, type ModelResult, type RunSummary } from '../eval/results.js';
import { finishStage, openStage, type Stage } from './stages.js';
import { acquireLock, lockPathOf, type Lock } from '../util/lock.js';
import { codeProvenance, machine } from './provenance.js';
import type { DatasetRow } from '../../datagen/types.js';
import { packageRoot } from '../util/paths.js';
import { splitIssues, SplitDrawError } from '../../datagen/draw.js';
import { memoryIssues } from './memory.js';
import { parseYaml } from '../config/yaml.js';
import { InputError } from '../util/errors.js';

export interface RunOptions {
  recipePath: string;
  root?: string;
  workDir?: string;
  reportsDir?: string;
  force?: boolean;
  /** Overrides the recipe's backend (`reprise run --backend`). */
  backend?: Recipe['backend'];
}

export function validateRecipe(path: string) {
  return loadRecipe(path, (r) => {
    const issues = checkRewardNames(r.grpo.rewards, ['grpo', 'rewards']);
    if (!FAMILIES[r.datagen.generator]) issues.push({ path: ['datagen', 'generator'], message: new RegistryError('dataset family', r.datagen.generator, Object.keys(FAMILIES)).message });
    const stages = ['base', 'sft', 'grpo'];
    r.eval.models.forEach((m, i) => {
      if (!stages.includes(m)) issues.push({ path: ['eval', 'models', i], message: `unknown model "${m}"; allowed values: ${stages.join(', ')}` });
    });
    r.eval.paired?.forEach((m, i) => {
      if (!r.eval.models.includes(m)) issues.push({ path: ['eval', 'paired', i], message: `"${m}" is not one of the evaluated models (eval.models: ${r.eval.models.join(', ')})` });
      else if (i === 1 && m === r.eval.paired![0]) issues.push({ path: ['eval', 'paired', i], message: `a model is compared with itself ("${m}"); name two different models` });
    });
    if (!('path' in r.model) && r.model.d_model % r.model.n_head) issues.push({ path: ['model', 'n_head'], message: `d_model ${r.model.d_model} is not divisible by n_head ${r.model.n_head}` });
    const family = FAMILIES[r.datagen.generator];
    if (family) {
      issues.push(...splitIssues(family, r.datagen.splits).map((i) => ({ ...i, path: ['datagen', 'splits', ...i.path] })));
      // the tokenizer is the family's characters and a few specials; a Hugging Face model's size is checked when it loads
      if (!issues.length && !('path' in r.model)) issues.push(...memoryIssues(r, family.chars.length + 16));
    }
    return issues;
  });
}

/** A row of a prompt split (rl, test): the user turn and the gold answer, without the teacher's reply; the SFT split is plain OpenAI chat JSONL. */
export function promptRow(r: DatasetRow) {
  return { id: r.id, messages: r.messages.filter((m) => m.role !== 'assistant'), answer: r.answer, meta: r.meta };
}

/**
 * Regenerates one split of a recipe's deterministic datagen, as the run writes it (same bytes). A relative path
 * is from the package root, as eval specs name the recipes shipped with Reprise.
 */
export function regenerateSplit(recipePath: string, split: 'sft' | 'rl' | 'test'): unknown[] {
  const loaded = validateRecipe(resolve(packageRoot(), recipePath));
  const rows = drawSplits(loaded)[split];
  return split === 'sft' ? rows.map((r) => ({ messages: r.messages })) : rows.map(promptRow);
}

export async function runRecipe(opts: RunOptions): Promise<RunSummary> {
  const root = resolve(opts.root ?? process.cwd());
  const workDir = resolve(root, opts.workDir ?? '.reprise');
  const reportsDir = resolve(root, opts.reportsDir ?? 'reports');
  const loaded = validateRecipe(resolve(root, opts.recipePath));
  const { text, path } = loaded;
  const recipe = opts.backend ? { ...loaded.recipe, backend: opts.backend } : loaded.recipe;
  const runId = `${recipe.name}-v${recipe.version}-s${recipe.seed}`;
  // one process per run in a work dir (--force included); each stage directory is locked as well, since other
  // recipes may share it, and the report directory while it is written
  const locks = [await acquireLock(lockPathOf(join(workDir, 'locks', `run-${runId}`)), `run ${runId} in ${workDir}`)];
  const open = async (...args: Parameters<typeof openStage>) => {
    const st = await openStage(...args);
    locks.push(st.lock);
    return st;
  };
  try {
    return await runStages({ root, workDir, reportsDir, recipe, text, path, runId, force: opts.force ?? false, open, locks });
  } finally {
    for (const l of locks.reverse()) l.release();
  }
}

interface RunContext {
  root: string;
  workDir: string;
  reportsDir: string;
  recipe: Recipe;
  text: string;
  path: string;
  runId: string;
  force: boolean;
  open: (...args: Parameters<typeof openStage>) => Promise<Stage>;
  /** Held until the run ends. */
  locks: Lock[];
}

async function runStages({ root, workDir, reportsDir, recipe, text, path, runId, force, open, locks }: RunContext): Promise<RunSummary> {
  const startedAt = new Date();
  const wall: Record<string, number> = {};
  const timed = async <T>(stage: Stage, fn: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> => {
    if (stage.done) {
      log(`[${stage.name}] cached (${relative(root, stage.dir)}), ${formatDuration(stage.done.wall_s)} when it ran`);
    } else {
      log(`[${stage.name}] running in ${relative(root, stage.dir)}`);
      const t0 = Date.now();
      const outputs = await fn();
      finishStage(stage, (Date.now() - t0) / 1000, outputs);
    }
    wall[stage.name] = stage.done!.wall_s;
    return stage.done!.outputs;
  };

  // 1. datagen
  const family = FAMILIES[recipe.datagen.generator];
  const dg = await open(workDir, 'datagen', 'datagen', { seed: recipe.seed, datagen: recipe.datagen, family: family.version }, force);
  await timed(dg, async () => generateDatasets({ recipe, text, path }, dg.dir));
  const datasets: DatasetRef[] = (['sft', 'rl', 'test'] as const).map((name) => ({
    name,
    path: relative(root, join(dg.dir, `${name}.jsonl`)),
    sha256: (dg.done!.outputs.files as Record<string, { sha256: string; rows: number }>)[name].sha256,
    rows: (dg.done!.outputs.files as Record<string, { sha256: string; rows: number }>)[name].rows,
  }));

  // compute stages load tfjs lazily, after the cheap checks above
  const stagesMod = await import('../train/stages.js');
  const evalMod = await import('../eval/stage.js');
  const tfInfo = await stagesMod.startBackend(recipe.backend);
  const spec = { kind: 'char' as const, chars: family.chars, specials: stagesMod.SPECIALS };

  // a Hugging Face checkpoint: the base is its directory (keyed by its weights' hash), SFT and GRPO train LoRA
  // adapters and write merged checkpoints (model/) that the next stage and the eval read
  const hf = 'path' in recipe.model ? { ...recipe.model, path: resolve(root, recipe.model.path), backend: recipe.backend } : undefined;
  const hfStages = hf ? await import('../train/hf-stages.js') : undefined;
  const modelOf = (st: Stage) => (hf ? (st.name === 'init' ? hf.path : join(st.dir, 'model')) : join(st.dir, 'model.safetensors'));

  // 2. the untrained base model
  const init = await open(workDir, 'init', 'init', hf ? { model: recipe.model, weights: stagesMod.hfWeightsSha256(hf.path) } : { seed: recipe.seed, model: recipe.model, tokenizer: spec }, force);
  await timed(init, () => (hf ? Promise.resolve({ sha256: init.key, path: hf.path }) : stagesMod.initStage(recipe, spec, init.dir)));

  // 3. SFT
  const sft = await open(workDir, 'sft', 'sft', { seed: recipe.seed, sft: recipe.sft, data: dg.key, init: init.key }, force);
  await timed(sft, () => (hf ? hfStages!.hfSftStage(hf, recipe.sft, recipe.seed, join(dg.dir, 'sft.jsonl'), sft.dir) : stagesMod.sftStage(recipe, modelOf(init), join(dg.dir, 'sft.jsonl'), sft.dir)));

  // 4. GRPO
  const grpo = await open(workDir, 'grpo', 'grpo', { seed: recipe.seed, grpo: recipe.grpo, data: dg.key, sft: sft.key }, force);
  await timed(grpo, () => (hf ? hfStages!.hfGrpoStage({ ...hf, path: modelOf(sft) }, recipe.grpo, recipe.seed, join(dg.dir, 'rl.jsonl'), grpo.dir) : stagesMod.grpoStage(recipe, modelOf(sft), join(dg.dir, 'rl.jsonl'), grpo.dir)));

  // 5. eval of each model on the held-out split
  const checkpoints: Record<string, Stage> = { base: init, sft, grpo };
  const testRows = readJsonl<DatasetRow>(join(dg.dir, 'test.jsonl'));
  const evals: Record<string, { stage: Stage; result: ModelResult }> = {};
  for (const m of recipe.eval.models) {
    const src = checkpoints[m];
    const ev = await open(workDir, `eval-${m}`, 'eval', { seed: recipe.seed, eval: recipe.eval, data: dg.key, model: src.key }, force);
    const out = await timed(ev, () => evalMod.evalStage(recipe, m, src.name, modelOf(src), testRows, ev.dir));
    evals[m] = { stage: ev, result: out.result as ModelResult };
  }

  // 6. report
  const scoresMod = await import('./report.js');
  const summary: RunSummary = {
    schema: RUN_SCHEMA,
    run_id: runId,
    recipe: { name: recipe.name, version: recipe.version, path: relative(root, path), sha256: sha256(text), text },
    provenance: {
      ...(await codeProvenance()),
      seeds: { recipe: recipe.seed },
      backend: tfInfo.backend,
      ...machine(),
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      wall_s: wall,
      command: `reprise run ${relative(root, path)}${force ? ' --force' : ''}`,
    },
    datasets,
    models: Object.values(evals).map((e) => e.result),
    paired: scoresMod.pairedTests(recipe, Object.fromEntries(Object.entries(evals).map(([k, v]) => [k, join(v.stage.dir, 'samples.jsonl')])), testRows.map((r) => r.id)),
    curves: { sft: 'curves/sft.jsonl', grpo: 'curves/grpo.jsonl' },
  };
  const runDir = join(reportsDir, 'runs', summary.run_id);
  locks.push(await acquireLock(lockPathOf(runDir), `the report ${runDir}`));
  mkdirSync(join(runDir, 'curves'), { recursive: true });
  mkdirSync(join(runDir, 'samples'), { recursive: true });
  copyFileSync(join(sft.dir, 'log.jsonl'), join(runDir, 'curves/sft.jsonl'));
  copyFileSync(join(grpo.dir, 'log.jsonl'), join(runDir, 'curves/grpo.jsonl'));
  for (const [m, e] of Object.entries(evals)) copyFileSync(join(e.stage.dir, 'samples.jsonl'), join(runDir, e.result.samples_file));
  writeJsonAtomic(join(runDir, 'summary.json'), summary);
  log(`[report] ${relative(root, join(runDir, 'summary.json'))}`);
  return summary;
}

/** The recipe's splits; one that cannot be drawn (too few distinct problems left) is bad input at its count. */
function drawSplits({ recipe, text, path }: { recipe: Recipe; text: string; path: string }) {
  try {
    return FAMILIES[recipe.datagen.generator].generate(recipe.seed, recipe.datagen.splits);
  } catch (e) {
    if (!(e instanceof SplitDrawError)) throw e;
    const key = ['datagen', 'splits', e.split, 'count'];
    throw new InputError(e.message.split('\n')[0], { file: path, line: parseYaml(text, path).lineOf(key), field: key.join('.'), hint: e.hint });
  }
}

/** Writes the three splits as JSONL, checks they are disjoint, and returns their hashes and counts. */
async function generateDatasets(loaded: { recipe: Recipe; text: string; path: string }, dir: string): Promise<Record<string, unknown>> {
  const { recipe } = loaded;
  const family = FAMILIES[recipe.datagen.generator];
  const splits = drawSplits(loaded);
  const seen = new Map<string, string>();
  for (const [name, rows] of Object.entries(splits)) {
    for (const r of rows) {
      const q = r.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
      const prev = seen.get(q);
      if (prev && prev !== name) throw new Error(`datagen: question ${q} is in both ${prev} and ${name}`);
      seen.set(q, name);
    }
  }
  const files: Record<string, { sha256: string; rows: number }> = {};
  for (const [name, rows] of Object.entries(splits)) {
    const file = join(dir, `${name}.jsonl`);
    const out = name === 'sft' ? rows.map((r) => ({ messages: r.messages })) : rows.map(promptRow);
    writeJsonlAtomic(file, out);
    files[name] = { sha256: await sha256File(file), rows: rows.length };
  }
  const manifest = { generator: family.name, version: family.version, seed: recipe.seed, splits: recipe.datagen.splits, files };
  writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return { files };
}
