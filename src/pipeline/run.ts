// Runs a recipe: datagen → init → SFT → GRPO → eval of each model → report. The one module that knows the
// order of stages. Each stage is cached by the hash of its inputs; a killed run resumes where it stopped.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadRecipe, placementIssues, withTrainPlacement, type LoadedRecipe, type Recipe } from '../config/recipe.js';
import { FAMILIES } from '../../datagen/index.js';
import { RegistryError } from '../util/errors.js';
import { checkRewardNames, referenceAnswerIssues } from '../train/rewards-check.js';
import { accelerateConfigIssues } from '../train/torch-worker.js';
import { sha256, sha256File } from '../util/hash.js';
import { readJsonl, writeJsonAtomic, writeJsonlAtomic } from '../util/fs.js';
import { log, formatDuration } from '../util/progress.js';
import { RUN_SCHEMA, type DatasetRef, type ModelResult, type RunSummary } from '../eval/results.js';
import { STAGE_VERSIONS, finishStage, openStage, type Stage } from './stages.js';
import { acquireLock, lockPathOf, type Lock } from '../util/lock.js';
import { codeProvenance, machine } from './provenance.js';
import type { DatasetRow } from '../../datagen/types.js';
import { packageRoot } from '../util/paths.js';
import { splitIssues, SplitDrawError } from '../../datagen/draw.js';
import { memoryIssues } from './memory.js';
import { parseYaml } from '../config/yaml.js';
import { InputError, RepriseError } from '../util/errors.js';

export interface RunOptions {
  recipePath: string;
  root?: string;
  workDir?: string;
  reportsDir?: string;
  force?: boolean;
  /** `--set key=value` overrides, applied over the recipe (and what it extends). */
  sets?: string[];
  /** Keep a changed recipe's run beside the earlier one instead of refusing (E_RECIPE_CHANGED). */
  newRun?: boolean;
  /** Overrides the recipe's backend (`reprise run --backend`); torch: the sft and grpo stages'. */
  backend?: Recipe['backend'] | 'torch';
  /** `--accelerate-config`: the sft and grpo stages' accelerate_config. */
  accelerateConfig?: string;
}

export function validateRecipe(path: string, sets: readonly string[] = []) {
  return loadRecipe(path, (r) => {
    const issues = r.grpo ? checkRewardNames(r.grpo.rewards, ['grpo', 'rewards']) : [];
    issues.push(...placementIssues(r, (p) => existsSync(resolve(p))), ...accelerateConfigIssues(r));
    if (r.grpo?.from === 'sft' && !r.sft) issues.push({ path: ['grpo', 'from'], message: 'GRPO starts from "sft" but the recipe has no sft stage; add one, or start from "base" (R1-Zero)' });
    if (!FAMILIES[r.datagen.generator]) issues.push({ path: ['datagen', 'generator'], message: new RegistryError('dataset family', r.datagen.generator, Object.keys(FAMILIES)).message });
    const stages = ['base', ...(r.sft ? ['sft'] : []), ...(r.grpo ? ['grpo'] : [])];
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
      if (r.datagen.sft_file && !existsSync(resolve(r.datagen.sft_file))) issues.push({ path: ['datagen', 'sft_file'], message: `no such file: ${resolve(r.datagen.sft_file)} (paths are relative to the working directory)` });
      const allowed = Object.keys(family.params ?? {});
      for (const k of Object.keys(r.datagen.params ?? {})) if (!allowed.includes(k)) issues.push({ path: ['datagen', 'params', k], message: `family ${family.name} has no parameter "${k}"; allowed: ${allowed.join(', ') || '(none)'}` });
      if (!issues.length && r.grpo) issues.push(...referenceAnswerIssues(withFamilyVerifier(r).grpo!.rewards, referenceSample(r), ['grpo', 'rewards']));
      // the tokenizer is the family's characters and a few specials; a Hugging Face model's size is checked when it loads
      if (!issues.length && !('path' in r.model)) issues.push(...memoryIssues(r, family.chars.length + 16));
    }
    return issues;
  }, sets);
}

/** The recipe as its dataset family checks answers: `accuracy` (and `length`) and the eval's scorer get its verifier unless the recipe names one. */
export function withFamilyVerifier(r: Recipe): Recipe {
  const verifier = FAMILIES[r.datagen.generator]?.verifier ?? 'math';
  if (verifier === 'math') return r; // the default: recipes (and their stage keys) stay as they were
  const evalCfg = { ...r.eval, scorer: r.eval.scorer ?? verifier };
  if (!r.grpo) return { ...r, eval: evalCfg };
  const rewards = r.grpo.rewards.map((x) => (['accuracy', 'length'].includes(x.name) && x.params?.verifier === undefined ? { ...x, params: { ...x.params, verifier } } : x));
  return { ...r, grpo: { ...r.grpo, rewards }, eval: evalCfg };
}

/** The teacher's answers to a few problems drawn as the RL split draws them (a separate stream: the splits are untouched). */
export function referenceSample(r: Recipe, n = 16) {
  const rows = FAMILIES[r.datagen.generator].generate(r.seed + 1, { reference_check: { ...r.datagen.splits.rl, count: n } }, r.datagen.params).reference_check;
  return rows.map((x) => ({ id: x.id, gold: x.answer, completion: [...x.messages].reverse().find((m) => m.role === 'assistant')?.content ?? '' }));
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
  const loaded = validateRecipe(resolve(root, opts.recipePath), opts.sets ?? []);
  const { text, path } = loaded;
  const tfBackend = opts.backend === 'torch' ? undefined : opts.backend;
  const placed = withTrainPlacement(loaded.recipe, opts.backend === 'torch' ? 'torch' : undefined, opts.accelerateConfig && resolve(root, opts.accelerateConfig));
  const flagIssue = [...placementIssues(placed, existsSync), ...accelerateConfigIssues(placed)][0];
  if (flagIssue) throw new InputError(flagIssue.message, { file: path, field: flagIssue.path.join('.'), hint: flagIssue.message.includes('hint:') ? undefined : 'set by --backend torch / --accelerate-config' });
  const withBackend = tfBackend ? { ...placed, backend: tfBackend } : placed;
  const recipe = withFamilyVerifier(withBackend);
  const runId = runIdOf(loaded, reportsDir, opts.newRun ?? false);
  // one process per run in a work dir (--force included); each stage directory is locked as well, since other
  // recipes may share it, and the report directory while it is written
  const locks = [await acquireLock(lockPathOf(join(workDir, 'locks', `run-${runId}`)), `run ${runId} in ${workDir}`)];
  const open = async (...args: Parameters<typeof openStage>) => {
    const st = await openStage(...args);
    locks.push(st.lock);
    return st;
  };
  try {
    return await runStages({ root, workDir, reportsDir, recipe, text, path, runId, force: opts.force ?? false, open, locks, loaded, sets: opts.sets ?? [] });
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
  loaded: LoadedRecipe;
  sets: string[];
}

/**
 * name-v<version>-s<seed>; a version is immutable, so a recipe whose hash differs from the one its earlier run
 * recorded is refused, or with --new-run gets its own run (suffixed with its hash) beside the earlier one.
 */
export function runIdOf(loaded: LoadedRecipe, reportsDir: string, newRun: boolean): string {
  const { recipe, sha256: hash, path } = loaded;
  const id = `${recipe.name}-v${recipe.version}-s${recipe.seed}`;
  const prev = join(reportsDir, 'runs', id, 'summary.json');
  if (!existsSync(prev)) return id;
  const recorded = (JSON.parse(readFileSync(prev, 'utf8')) as RunSummary).recipe?.sha256;
  if (recorded === hash) return id;
  if (newRun) return `${id}-${hash.slice(0, 8)}`;
  throw new RepriseError(
    'E_RECIPE_CHANGED',
    `${path}: ${recipe.name} v${recipe.version} already has a run (${prev}) made from a different recipe (sha256 ${recorded?.slice(0, 12)}…, now ${hash.slice(0, 12)}…); a version is never edited in place`,
    `copy the recipe to v${recipe.version + 1}.yaml and change that, or pass --new-run to keep both runs`,
  );
}

async function runStages({ root, workDir, reportsDir, recipe, text, path, runId, force, open, locks, loaded, sets }: RunContext): Promise<RunSummary> {
  const startedAt = new Date();
  const wall: Record<string, number> = {};
  const code = await codeProvenance();
  // what produced each stage, cached ones included: the summary states each stage's own commit
  const stageProv: Record<string, { key: string; version: number; git_commit: string | null; git_dirty: boolean | null; cached: boolean }> = {};
  const timed = async <T>(stage: Stage, fn: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> => {
    const cached = Boolean(stage.done);
    if (stage.done) {
      log(`[${stage.name}] cached (${relative(root, stage.dir)}), ${formatDuration(stage.done.wall_s)} when it ran`);
    } else {
      log(`[${stage.name}] running in ${relative(root, stage.dir)}`);
      const t0 = Date.now();
      const outputs = await fn();
      finishStage(stage, (Date.now() - t0) / 1000, outputs, { version: STAGE_VERSIONS[stage.kind], git_commit: code.git_commit, git_dirty: code.git_dirty });
    }
    wall[stage.name] = stage.done!.wall_s;
    const c = stage.done!.code;
    stageProv[stage.name] = { key: stage.key, version: STAGE_VERSIONS[stage.kind], git_commit: c?.git_commit ?? null, git_dirty: c?.git_dirty ?? null, cached };
    return stage.done!.outputs;
  };

  // 1. datagen
  const family = FAMILIES[recipe.datagen.generator];
  const dg = await open(workDir, 'datagen', 'datagen', { seed: recipe.seed, datagen: recipe.datagen, family: family.version, ...(recipe.datagen.sft_file ? { sft_file: await sha256File(resolve(root, recipe.datagen.sft_file)) } : {}) }, force);
  await timed(dg, async () => generateDatasets({ recipe, text, path }, dg.dir, root));
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

  // 3. SFT (optional), from the base
  let sft: Stage | undefined;
  const sftCfg = recipe.sft;
  if (sftCfg) {
    const st = (sft = await open(workDir, 'sft', 'sft', { seed: recipe.seed, sft: sftCfg, data: dg.key, init: init.key }, force));
    await timed(st, () => (hf ? hfStages!.hfSftStage(hf, sftCfg, recipe.seed, join(dg.dir, 'sft.jsonl'), st.dir) : stagesMod.sftStage(recipe, modelOf(init), join(dg.dir, 'sft.jsonl'), st.dir)));
  }

  // 4. GRPO (optional), from the SFT model or the base (R1-Zero); the key names its start model "sft" as v1 did
  let grpo: Stage | undefined;
  const grpoCfg = recipe.grpo;
  if (grpoCfg) {
    const start = (grpoCfg.from ?? (sft ? 'sft' : 'base')) === 'sft' ? sft! : init;
    const st = (grpo = await open(workDir, 'grpo', 'grpo', { seed: recipe.seed, grpo: grpoCfg, data: dg.key, sft: start.key }, force));
    await timed(st, () => (hf ? hfStages!.hfGrpoStage({ ...hf, path: modelOf(start) }, grpoCfg, recipe.seed, join(dg.dir, 'rl.jsonl'), st.dir) : stagesMod.grpoStage(recipe, modelOf(start), join(dg.dir, 'rl.jsonl'), st.dir)));
  }

  // 5. eval of each model on the held-out split
  const checkpoints: Record<string, Stage> = { base: init, ...(sft ? { sft } : {}), ...(grpo ? { grpo } : {}) };
  const testRows = readJsonl<DatasetRow>(join(dg.dir, 'test.jsonl'));
  const evals: Record<string, { stage: Stage; result: ModelResult }> = {};
  for (const m of recipe.eval.models) {
    const src = checkpoints[m];
    const ev = await open(workDir, `eval-${m}`, 'eval', { seed: recipe.seed, eval: recipe.eval, data: dg.key, model: src.key, code: evalMod.EVAL_STAGE_VERSION }, force);
    const out = await timed(ev, () => evalMod.evalStage(recipe, m, src.name, modelOf(src), testRows, ev.dir));
    evals[m] = { stage: ev, result: out.result as ModelResult };
  }

  // 6. report
  const trained = [sft, grpo].filter((x): x is Stage => x !== undefined);
  const summary: RunSummary = {
    schema: RUN_SCHEMA,
    run_id: runId,
    recipe: {
      name: recipe.name,
      version: recipe.version,
      path: relative(root, path),
      sha256: loaded.sha256,
      text,
      ...(loaded.extends.length ? { extends: loaded.extends.map((f) => relative(root, f)) } : {}),
      ...(Object.keys(loaded.overrides).length ? { overrides: loaded.overrides } : {}),
    },
    provenance: {
      ...code,
      stages: stageProv,
      seeds: { recipe: recipe.seed },
      backend: tfInfo.backend,
      ...machine(),
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      wall_s: wall,
      command: `reprise run ${relative(root, path)}${force ? ' --force' : ''}${sets.map((x) => ` --set ${x}`).join('')}`,
    },
    datasets,
    models: Object.values(evals).map((e) => e.result),
    paired: evalMod.pairedTests(recipe, Object.fromEntries(Object.entries(evals).map(([k, v]) => [k, v.stage.dir]))),
    curves: Object.fromEntries(trained.map((st) => [st.name, `curves/${st.name}.jsonl`])),
  };
  const runDir = join(reportsDir, 'runs', summary.run_id);
  locks.push(await acquireLock(lockPathOf(runDir), `the report ${runDir}`));
  mkdirSync(join(runDir, 'curves'), { recursive: true });
  mkdirSync(join(runDir, 'samples'), { recursive: true });
  for (const st of trained) copyFileSync(join(st.dir, 'log.jsonl'), join(runDir, `curves/${st.name}.jsonl`));
  for (const [m, e] of Object.entries(evals)) copyFileSync(join(e.stage.dir, 'samples.jsonl'), join(runDir, e.result.samples_file));
  writeJsonAtomic(join(runDir, 'summary.json'), summary);
  log(`[report] ${relative(root, join(runDir, 'summary.json'))}`);
  return summary;
}

/** The recipe's splits; one that cannot be drawn (too few distinct problems left) is bad input at its count. */
function drawSplits({ recipe, text, path }: { recipe: Recipe; text: string; path: string }) {
  try {
    return FAMILIES[recipe.datagen.generator].generate(recipe.seed, recipe.datagen.splits, recipe.datagen.params);
  } catch (e) {
    if (!(e instanceof SplitDrawError)) throw e;
    const key = ['datagen', 'splits', e.split, 'count'];
    throw new InputError(e.message.split('\n')[0], { file: path, line: parseYaml(text, path).lineOf(key), field: key.join('.'), hint: e.hint });
  }
}

/** Writes the three splits as JSONL, checks they are disjoint, and returns their hashes and counts. */
async function generateDatasets(loaded: { recipe: Recipe; text: string; path: string }, dir: string, root: string): Promise<Record<string, unknown>> {
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
  const sftFile = recipe.datagen.sft_file && resolve(root, recipe.datagen.sft_file);
  const held = new Map([...seen].filter(([, split]) => split !== 'sft'));
  const chat = sftFile ? await (await import('./chat-data.js')).readChatSft(sftFile, loaded.path, 'path' in recipe.model ? undefined : { chars: family.chars, specials: (await import('../train/stages.js')).SPECIALS }, held) : undefined;
  const files: Record<string, { sha256: string; rows: number }> = {};
  for (const [name, rows] of Object.entries(splits)) {
    const file = join(dir, `${name}.jsonl`);
    const out = name === 'sft' ? (chat ?? rows.map((r) => ({ messages: r.messages }))) : rows.map(promptRow);
    writeJsonlAtomic(file, out);
    files[name] = { sha256: await sha256File(file), rows: out.length };
  }
  const manifest = { generator: family.name, version: family.version, seed: recipe.seed, ...(recipe.datagen.params ? { params: recipe.datagen.params } : {}), splits: recipe.datagen.splits, files };
  writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return { files };
}
