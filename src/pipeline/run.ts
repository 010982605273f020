// Runs a recipe: datagen → init → SFT → GRPO → eval of each model → report. The one module that knows the
// order of stages. Each stage is cached by the hash of its inputs; a killed run resumes where it stopped.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { evalBenchmarks, modelKind, placementIssues, withTrainPlacement, TEST_SPLIT, type LoadedRecipe, type Recipe } from '../config/recipe.js';
import { accelerateConfigIssues } from '../train/accelerate-config.js';
import { loadSpec } from '../config/eval-spec.js';
import { FAMILIES } from '../../datagen/index.js';
import { sha256File } from '../util/hash.js';
import { readJsonl, writeJsonAtomic, writeJsonlAtomic } from '../util/fs.js';
import { log, formatDuration } from '../util/progress.js';
import { RUN_SCHEMA, type DatasetRef, type ModelResult, type PairedTest, type Reference, type RunSummary } from '../eval/results.js';
import type { ModelSource } from '../eval/source.js';
import { STAGE_VERSIONS, finishStage, hfInitInputs, openStage, placementInputs, type Stage } from './stages.js';
import { acquireLock, lockPathOf, type Lock } from '../util/lock.js';
import { codeProvenance, machine } from './provenance.js';
import type { DatasetRow } from '../../datagen/types.js';
import { InputError, RepriseError } from '../util/errors.js';
import { generateDatasets, regenerateIfMissing, validateRecipe, withFamilyVerifier } from './recipe-data.js';
import { heldQuestions, keepShort, refuseHeld, sftSource } from './sft-data.js';

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
  /** Where benchmark files are (default: $REPRISE_DATA_DIR, else .reprise/data). */
  dataDir?: string;
  /** Overrides an endpoint model's URL and name (`reprise run --endpoint URL --model NAME`). */
  endpoint?: { url?: string; model?: string };
}

/** The recipe with --backend, --endpoint and --model applied (only an endpoint model takes the latter two). */
function withFlags(r: Recipe, opts: RunOptions, file: string): Recipe {
  const tfBackend = opts.backend === 'torch' ? undefined : opts.backend;
  const placed = withTrainPlacement(r, opts.backend === 'torch' ? 'torch' : undefined, opts.accelerateConfig && resolve(opts.root ?? process.cwd(), opts.accelerateConfig));
  const flagIssue = [...placementIssues(placed, existsSync), ...accelerateConfigIssues(placed)][0];
  if (flagIssue) throw new InputError(flagIssue.message, { file, field: flagIssue.path.join('.'), hint: flagIssue.message.includes('hint:') ? undefined : 'set by --backend torch / --accelerate-config' });
  const out = tfBackend ? { ...placed, backend: tfBackend } : placed;
  const e = opts.endpoint;
  if (!e?.url && !e?.model) return out;
  if (!('endpoint' in r.model)) throw new InputError('--endpoint and --model apply to a recipe whose model is an endpoint (model: {endpoint, name})', { file, field: 'model', hint: 'an eval-only recipe such as recipes/r1-distill-eval/v1.yaml' });
  if (e.url && !/^https?:\/\//.test(e.url)) throw new InputError(`--endpoint must be an http(s) base URL, got "${e.url}"`, { field: 'endpoint' });
  return { ...out, model: { ...r.model, ...(e.url ? { endpoint: e.url } : {}), ...(e.model ? { name: e.model } : {}) } };
}

export async function runRecipe(opts: RunOptions): Promise<RunSummary> {
  const root = resolve(opts.root ?? process.cwd());
  const workDir = resolve(root, opts.workDir ?? '.reprise');
  const reportsDir = resolve(root, opts.reportsDir ?? 'reports');
  const loaded = validateRecipe(resolve(root, opts.recipePath), opts.sets ?? []);
  const { text, path } = loaded;
  const recipe = withFamilyVerifier(withFlags(loaded.recipe, opts, path));
  const runId = runIdOf(loaded, reportsDir, opts.newRun ?? false, 'endpoint' in recipe.model ? recipe.model.name : undefined);
  // one process per run in a work dir (--force included); each stage directory is locked as well, since other
  // recipes may share it, and the report directory while it is written
  const locks = [await acquireLock(lockPathOf(join(workDir, 'locks', `run-${runId}`)), `run ${runId} in ${workDir}`)];
  const open = async (...args: Parameters<typeof openStage>) => {
    const st = await openStage(...args);
    locks.push(st.lock);
    return st;
  };
  try {
    return await runStages({ root, workDir, reportsDir, recipe, text, path, runId, force: opts.force ?? false, open, locks, loaded, sets: opts.sets ?? [], endpoint: opts.endpoint, dataDir: opts.dataDir });
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
  endpoint: RunOptions['endpoint'];
  dataDir: string | undefined;
}

/**
 * name-v<version>-s<seed>; a version is immutable, so a recipe whose hash differs from the one its earlier run
 * recorded is refused, or with --new-run gets its own run (suffixed with its hash) beside the earlier one.
 */
export function runIdOf(loaded: LoadedRecipe, reportsDir: string, newRun: boolean, endpointModel?: string): string {
  const { recipe, sha256: hash, path } = loaded;
  // an eval-only recipe is run once per model it evaluates
  const id = `${recipe.name}-v${recipe.version}-s${recipe.seed}${endpointModel ? `-${endpointModel.replace(/[^A-Za-z0-9._-]+/g, '-')}` : ''}`;
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

async function runStages({ root, workDir, reportsDir, recipe, text, path, runId, force, open, locks, loaded, sets, endpoint, dataDir: dataDirFlag }: RunContext): Promise<RunSummary> {
  const startedAt = new Date();
  const wall: Record<string, number> = {};
  const code = await codeProvenance();
  // what produced each stage, cached ones included: the summary states each stage's own commit
  const stageProv: Record<string, { key: string; version: number; git_commit: string | null; git_dirty: boolean | null; cached: boolean }> = {};
  const timed = async (stage: Stage, fn: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> => {
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
  const kind = modelKind(recipe.model);

  // 1. datagen (when a stage or the held-out benchmark needs the family's splits)
  let dg: Stage | undefined;
  const datasets: DatasetRef[] = [];
  const dgCfg = recipe.datagen;
  const family = dgCfg && FAMILIES[dgCfg.generator];
  if (dgCfg && family) {
    const st = (dg = await open(workDir, 'datagen', 'datagen', { seed: recipe.seed, datagen: dgCfg, family: family.version, ...(dgCfg.sft_file ? { sft_file: await sha256File(resolve(root, dgCfg.sft_file)) } : {}) }, force));
    await timed(st, async () => generateDatasets({ recipe, text, path }, st.dir, root));
    const files = st.done!.outputs.files as Record<string, { sha256: string; rows: number }>;
    for (const name of ['sft', 'rl', 'test'] as const) datasets.push({ name, path: relative(root, join(st.dir, `${name}.jsonl`)), ...files[name] });
  }

  // the benchmarks' files are read before anything trains: a missing one is refused now, not after training
  const benches = evalBenchmarks(recipe);
  const specs = new Map(benches.filter((b) => b !== TEST_SPLIT).map((b) => [b, loadSpec(b)]));
  const { dataDir, loadBench } = await import('../data/bench-data.js');
  const benchDir = dataDir(dataDirFlag ? resolve(root, dataDirFlag) : undefined);
  for (const s of specs.values()) {
    const made = regenerateIfMissing(s.spec, benchDir);
    if (made) log(`[eval] ${s.id}: regenerated the ${s.spec.dataset.split} split of ${s.spec.dataset.recipe} → ${made}`);
  }
  const benchData = new Map(await Promise.all([...specs].map(async ([b, s]) => [b, await loadBench(s.spec, { dataDir: benchDir, limit: recipe.eval.limit, id: s.id })] as const)));

  // 1b. SFT's conversations from sft.dataset (a datagen recipe's output, a benchmark's split), validated as chat JSONL
  let sftData = dg && join(dg.dir, 'sft.jsonl');
  let sftDataKey = dg?.key;
  const dsCfg = recipe.sft?.dataset;
  if (dsCfg) {
    const src = await sftSource(dsCfg, path, root, dataDirFlag && resolve(root, dataDirFlag));
    const st = await open(workDir, 'sft-data', 'datagen', { sft_dataset: dsCfg, source: src.sha256, tokenizer: 'path' in recipe.model ? recipe.model.path : 'o200k_base' }, force);
    await timed(st, async () => {
      const raw = join(st.dir, 'source.jsonl');
      if (src.rows) writeJsonlAtomic(raw, src.rows);
      const { readChatSftReport } = await import('./chat-data.js');
      const vocab = family && kind === 'gpt' ? { chars: family.chars, specials: (await import('../train/stages.js')).SPECIALS } : undefined;
      // a checkpoint's conversations are counted as it trains on them: its tokenizer and chat template
      const counter = 'path' in recipe.model ? await (await import('../train/token-counter.js')).modelCounter(resolve(root, recipe.model.path)) : undefined;
      const read = await readChatSftReport(src.rows ? raw : src.file, path, vocab, new Map(), counter);
      const { rows, dropped } = await keepShort(read.rows, dsCfg.max_tokens, counter);
      if (dropped) log(`[sft-data] ${dropped} of ${read.rows.length} conversations are longer than sft.dataset.max_tokens = ${dsCfg.max_tokens} (${read.tokens.tokenizer}): left out`);
      if (!rows.length) throw new InputError(`every conversation of ${src.file} is longer than sft.dataset.max_tokens = ${dsCfg.max_tokens}`, { file: path, field: 'sft.dataset.max_tokens' });
      writeJsonlAtomic(join(st.dir, 'sft.jsonl'), rows);
      return { source: { path: relative(root, src.file), sha256: src.sha256 }, rows: rows.length, dropped_too_long: dropped, tokens: read.tokens, sha256: await sha256File(join(st.dir, 'sft.jsonl')) };
    });
    sftData = join(st.dir, 'sft.jsonl');
    sftDataKey = st.key;
    // checked on every run, cached data included: the benchmarks evaluated may be other than when it was made
    refuseHeld(sftData, heldQuestions(benchData), path);
    datasets.push({ name: 'sft', path: relative(root, sftData), sha256: st.done!.outputs.sha256 as string, rows: st.done!.outputs.rows as number });
  }

  // compute stages load tfjs lazily, after the cheap checks above
  const stagesMod = kind === 'endpoint' ? undefined : await import('../train/stages.js');
  const evalMod = await import('../eval/stage.js');
  const tfInfo = stagesMod ? await stagesMod.startBackend(recipe.backend) : { backend: 'none (endpoint)' };
  // stages computed on another backend than wasm (the reference; its keys stay as they were) are cached apart:
  // blas, cpu and webgpu differ from wasm, and blas from itself across thread counts, in the last bits
  const onBackend = tfInfo.backend === 'wasm' || !stagesMod ? {} : { backend: tfInfo.backend };

  // a Hugging Face checkpoint: the base is its directory (keyed by its weights' hash), SFT and GRPO train LoRA
  // adapters and write merged checkpoints (model/) that the next stage and the eval read
  const hf = 'path' in recipe.model ? { ...recipe.model, path: resolve(root, recipe.model.path), backend: recipe.backend } : undefined;
  const hfStages = hf ? await import('../train/hf-stages.js') : undefined;
  const modelOf = (st: Stage) => (hf ? (st.name === 'init' ? hf.path : join(st.dir, 'model')) : join(st.dir, 'model.safetensors'));

  // 2. the untrained base model (none for an endpoint: it is evaluated only)
  let init: Stage | undefined;
  if (stagesMod) {
    const sm = stagesMod;
    const spec = { kind: 'char' as const, chars: family?.chars ?? '', specials: sm.SPECIALS };
    const st = (init = await open(workDir, 'init', 'init', hf ? hfInitInputs(recipe.model, sm.hfWeightsSha256(hf.path), onBackend) : { seed: recipe.seed, model: recipe.model, tokenizer: spec, ...onBackend }, force));
    await timed(st, () => (hf ? Promise.resolve({ sha256: st.key, path: hf.path }) : sm.initStage(recipe, spec, st.dir)));
  }

  // 3. SFT (optional), from the base
  let sft: Stage | undefined;
  const sftCfg = recipe.sft;
  if (sftCfg && init && stagesMod) {
    const sm = stagesMod;
    const base = init;
    const st = (sft = await open(workDir, 'sft', 'sft', { seed: recipe.seed, sft: sftCfg, data: sftDataKey, init: base.key, ...onBackend, ...placementInputs(sftCfg) }, force));
    await timed(st, () => (hf ? hfStages!.hfSftStage(hf, sftCfg, recipe.seed, sftData!, st.dir) : sm.sftStage(recipe, modelOf(base), sftData!, st.dir)));
  }

  // 4. GRPO (optional), from the SFT model or the base (R1-Zero); the key names its start model "sft" as v1 did
  let grpo: Stage | undefined;
  const grpoCfg = recipe.grpo;
  if (grpoCfg && init && stagesMod && dg) {
    const sm = stagesMod;
    const data = dg;
    const start = (grpoCfg.from ?? (sft ? 'sft' : 'base')) === 'sft' ? sft! : init;
    const st = (grpo = await open(workDir, 'grpo', 'grpo', { seed: recipe.seed, grpo: grpoCfg, data: data.key, sft: start.key, ...onBackend, ...placementInputs(grpoCfg) }, force));
    await timed(st, () => (hf ? hfStages!.hfGrpoStage({ ...hf, path: modelOf(start) }, grpoCfg, recipe.seed, join(data.dir, 'rl.jsonl'), st.dir) : sm.grpoStage(recipe, modelOf(start), join(data.dir, 'rl.jsonl'), st.dir)));
  }

  // 5. eval: each model on each benchmark (the held-out split, and eval specs from evals/)
  const checkpoints: Record<string, Stage> = { ...(init ? { base: init } : {}), ...(sft ? { sft } : {}), ...(grpo ? { grpo } : {}) };
  const ep = 'endpoint' in recipe.model ? recipe.model : undefined;
  // the row name: an endpoint's model name (references are matched by it), else the stage's
  const rowName = (m: string) => (ep ? ep.name : m);
  const evals: { m: string; bench: string; stage: Stage; result: ModelResult }[] = [];
  for (const m of recipe.eval.models) {
    const ckpt = checkpoints[m];
    const modelKey = ckpt ? ckpt.key : { endpoint: ep!.endpoint, name: ep!.name };
    let source: ModelSource | undefined;
    const sourceOf = async () => (source ??= ckpt ? await (await import('../eval/source.js')).checkpointSource(modelOf(ckpt), recipe.backend as 'wasm', { id: rowName(m), batch: recipe.eval.batch_size }) : (await import('../eval/source.js')).endpointSource([{ base_url: ep!.endpoint, model: ep!.name, api_key_env: ep!.api_key_env, timeout_s: ep!.timeout_s }], { concurrency: recipe.eval.batch_size }));
    try {
      for (const b of benches) {
        if (b === TEST_SPLIT) {
          const src = ckpt!;
          const ev = await open(workDir, `eval-${m}`, 'eval', { seed: recipe.seed, eval: recipe.eval, data: dg!.key, model: src.key, code: evalMod.EVAL_STAGE_VERSION, ...onBackend }, force);
          const testRows = readJsonl<DatasetRow>(join(dg!.dir, 'test.jsonl'));
          const out = await timed(ev, () => evalMod.evalStage(recipe, m, src.name, modelOf(src), testRows, ev.dir));
          evals.push({ m, bench: b, stage: ev, result: out.result as ModelResult });
          continue;
        }
        const spec = specs.get(b)!;
        const data = benchData.get(b)!;
        const ev = await open(workDir, `eval-${m}-${evalMod.benchSlug(b)}`, 'eval', { seed: recipe.seed, spec: spec.hash, data: data.sha256, limit: recipe.eval.limit ?? null, model: modelKey, code: evalMod.EVAL_STAGE_VERSION, ...(ckpt ? onBackend : {}) }, force);
        const out = await timed(ev, async () => evalMod.benchStage({ recipe, model: rowName(m), stage: ckpt?.name ?? 'endpoint', source: await sourceOf(), spec, bench: data, dir: ev.dir }));
        evals.push({ m, bench: b, stage: ev, result: out.result as ModelResult });
      }
    } finally {
      await source?.close();
    }
  }

  // the paired test of eval.paired on every benchmark both models were evaluated on
  const paired: PairedTest[] = [];
  const pair = recipe.eval.paired;
  for (const b of pair ? benches : []) {
    const [a, z] = pair!.map((m) => evals.find((e) => e.m === m && e.bench === b));
    if (!a || !z) continue;
    if (b === TEST_SPLIT) paired.push(...evalMod.pairedTests(recipe, { [a.m]: a.stage.dir, [z.m]: z.stage.dir }));
    else paired.push(evalMod.pairedBench(recipe, specs.get(b)!, { name: a.m, dir: a.stage.dir }, { name: z.m, dir: z.stage.dir }));
  }

  // the eval specs' reference numbers of the model evaluated: an endpoint's name, or a checkpoint directory's
  const refName = ep ? ep.name : hf ? basename(hf.path) : undefined;
  const references: Reference[] = [];
  for (const e of evals) {
    const spec = specs.get(e.bench);
    if (!spec || !refName || (e.m !== 'base' && !ep)) continue;
    for (const r of spec.spec.references) if (r.model.toLowerCase() === refName.toLowerCase() || refName.toLowerCase().endsWith(`/${r.model.toLowerCase()}`)) references.push({ model: e.result.model, bench: e.bench, metric: r.metric, value: r.value, source: r.source });
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
      command: `reprise run ${relative(root, path)}${force ? ' --force' : ''}${sets.map((x) => ` --set ${x}`).join('')}${endpoint?.url ? ` --endpoint ${endpoint.url}` : ''}${endpoint?.model ? ` --model ${endpoint.model}` : ''}`,
    },
    datasets,
    models: evals.map((e) => e.result),
    paired,
    curves: Object.fromEntries(trained.map((st) => [st.name, `curves/${st.name}.jsonl`])),
    ...(references.length ? { references } : {}),
  };
  const runDir = join(reportsDir, 'runs', summary.run_id);
  locks.push(await acquireLock(lockPathOf(runDir), `the report ${runDir}`));
  mkdirSync(join(runDir, 'curves'), { recursive: true });
  mkdirSync(join(runDir, 'samples'), { recursive: true });
  for (const st of trained) copyFileSync(join(st.dir, 'log.jsonl'), join(runDir, `curves/${st.name}.jsonl`));
  for (const e of evals) copyFileSync(join(e.stage.dir, 'samples.jsonl'), join(runDir, e.result.samples_file));
  writeJsonAtomic(join(runDir, 'summary.json'), summary);
  log(`[report] ${relative(root, join(runDir, 'summary.json'))}`);
  return summary;
}
