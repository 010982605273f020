// A recipe's checks before anything runs (schema, registries, stage wiring, rewards on reference answers, memory)
// and its dataset family's splits, drawn and written as the datagen stage keeps them.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evalBenchmarks, loadRecipe, modelKind, placementIssues, TEST_SPLIT, type Recipe } from '../config/recipe.js';
import { accelerateConfigIssues } from '../train/accelerate-config.js';
import { listSpecs, evalsDir, type EvalSpec } from '../config/eval-spec.js';
import { parseYaml } from '../config/yaml.js';
import { FAMILIES } from '../../datagen/index.js';
import { InputError, RegistryError } from '../util/errors.js';
import { checkRewardNames, referenceAnswerIssues } from '../train/rewards-check.js';
import { sha256File } from '../util/hash.js';
import { writeJsonAtomic, writeJsonlAtomic } from '../util/fs.js';
import type { DatasetRow } from '../../datagen/types.js';
import { packageRoot } from '../util/paths.js';
import { splitIssues, SplitDrawError } from '../../datagen/draw.js';
import { memoryIssues } from './memory.js';

type Issue = { path: (string | number)[]; message: string };

/** What the model, the stages and the benchmarks need of each other (the schema checks each key alone). */
function wiringIssues(r: Recipe): Issue[] {
  const issues: Issue[] = [];
  const kind = modelKind(r.model);
  const benches = evalBenchmarks(r);
  if (kind === 'endpoint') {
    for (const s of ['sft', 'grpo'] as const) if (r[s]) issues.push({ path: [s], message: `a model behind an endpoint is evaluated only; a ${s} stage needs a checkpoint (model.path) or a from-scratch model` });
  }
  const needs = [
    kind === 'gpt' && 'a from-scratch model (its tokenizer is the family\'s characters)',
    r.grpo && 'GRPO (its prompts are the rl split)',
    r.sft && !r.sft.dataset && 'SFT without sft.dataset (it trains on the sft split)',
    benches.includes(TEST_SPLIT) && 'the "test" benchmark (the held-out split)',
  ].filter((x): x is string => typeof x === 'string');
  if (!r.datagen && needs.length) issues.push({ path: ['datagen'], message: `the recipe has no datagen section, which ${needs.join(', ')} needs` });
  const ds = r.sft?.dataset;
  if (ds) {
    if (Boolean(ds.from_datagen) === Boolean(ds.benchmark)) issues.push({ path: ['sft', 'dataset'], message: 'name one source: from_datagen (a datagen recipe\'s output) or benchmark (an eval spec\'s split)' });
    if (ds.from_datagen && (ds.prompt_column || ds.completion_column || ds.system_prompt !== undefined)) issues.push({ path: ['sft', 'dataset'], message: 'prompt_column, completion_column and system_prompt apply to a benchmark source; a datagen output is chat JSONL already' });
    if (r.datagen?.sft_file) issues.push({ path: ['datagen', 'sft_file'], message: 'SFT has two sources: sft.dataset and datagen.sft_file; keep one' });
  }
  if (ds?.benchmark && !listSpecs().includes(ds.benchmark)) issues.push({ path: ['sft', 'dataset', 'benchmark'], message: new RegistryError('eval spec', ds.benchmark, listSpecs()).message });
  const specs = listSpecs(evalsDir());
  benches.forEach((b, i) => {
    if (b !== TEST_SPLIT && !specs.includes(b)) issues.push({ path: ['eval', 'benchmarks', i], message: `${new RegistryError('eval spec', b, specs).message}; "${TEST_SPLIT}" is the recipe's held-out split` });
  });
  if (benches.includes(TEST_SPLIT)) {
    for (const k of ['n_samples', 'temperature', 'max_tokens'] as const) if (r.eval[k] === undefined) issues.push({ path: ['eval', k], message: `the "${TEST_SPLIT}" benchmark (the held-out split) samples as eval.${k} says; set it` });
  }
  return issues;
}

export function validateRecipe(path: string, sets: readonly string[] = []) {
  return loadRecipe(path, (r) => {
    const issues = r.grpo ? checkRewardNames(r.grpo.rewards, ['grpo', 'rewards']) : [];
    issues.push(...wiringIssues(r), ...placementIssues(r, (p) => existsSync(resolve(p))), ...accelerateConfigIssues(r));
    if (r.grpo?.from === 'sft' && !r.sft) issues.push({ path: ['grpo', 'from'], message: 'GRPO starts from "sft" but the recipe has no sft stage; add one, or start from "base" (R1-Zero)' });
    if (r.datagen && !FAMILIES[r.datagen.generator]) issues.push({ path: ['datagen', 'generator'], message: new RegistryError('dataset family', r.datagen.generator, Object.keys(FAMILIES)).message });
    const stages = ['base', ...(r.sft ? ['sft'] : []), ...(r.grpo ? ['grpo'] : [])];
    r.eval.models.forEach((m, i) => {
      if (!stages.includes(m)) issues.push({ path: ['eval', 'models', i], message: `unknown model "${m}"; allowed values: ${stages.join(', ')}` });
    });
    r.eval.paired?.forEach((m, i) => {
      if (!r.eval.models.includes(m)) issues.push({ path: ['eval', 'paired', i], message: `"${m}" is not one of the evaluated models (eval.models: ${r.eval.models.join(', ')})` });
      else if (i === 1 && m === r.eval.paired![0]) issues.push({ path: ['eval', 'paired', i], message: `a model is compared with itself ("${m}"); name two different models` });
    });
    if ('d_model' in r.model && r.model.d_model % r.model.n_head) issues.push({ path: ['model', 'n_head'], message: `d_model ${r.model.d_model} is not divisible by n_head ${r.model.n_head}` });
    const dg = r.datagen;
    const family = dg && FAMILIES[dg.generator];
    if (dg && family) {
      issues.push(...splitIssues(family, dg.splits).map((i) => ({ ...i, path: ['datagen', 'splits', ...i.path] })));
      if (dg.sft_file && !existsSync(resolve(dg.sft_file))) issues.push({ path: ['datagen', 'sft_file'], message: `no such file: ${resolve(dg.sft_file)} (paths are relative to the working directory)` });
      const allowed = Object.keys(family.params ?? {});
      for (const k of Object.keys(dg.params ?? {})) if (!allowed.includes(k)) issues.push({ path: ['datagen', 'params', k], message: `family ${family.name} has no parameter "${k}"; allowed: ${allowed.join(', ') || '(none)'}` });
      if (!issues.length && r.grpo) issues.push(...referenceAnswerIssues(withFamilyVerifier(r).grpo!.rewards, referenceSample(r), ['grpo', 'rewards']));
      // the tokenizer is the family's characters and a few specials; a Hugging Face model's size is checked when it loads
      if (!issues.length && 'd_model' in r.model) issues.push(...memoryIssues(r, family.chars.length + 16));
    }
    return issues;
  }, sets);
}

/** The recipe as its dataset family checks answers: `accuracy` (and `length`) and the eval's scorer get its verifier unless the recipe names one. */
export function withFamilyVerifier(r: Recipe): Recipe {
  const verifier = (r.datagen && FAMILIES[r.datagen.generator]?.verifier) ?? 'math';
  if (verifier === 'math') return r; // the default: recipes (and their stage keys) stay as they were
  const evalCfg = { ...r.eval, scorer: r.eval.scorer ?? verifier };
  if (!r.grpo) return { ...r, eval: evalCfg };
  const rewards = r.grpo.rewards.map((x) => (['accuracy', 'length'].includes(x.name) && x.params?.verifier === undefined ? { ...x, params: { ...x.params, verifier } } : x));
  return { ...r, grpo: { ...r.grpo, rewards }, eval: evalCfg };
}

/** The teacher's answers to a few problems drawn as the RL split draws them (a separate stream: the splits are untouched). */
export function referenceSample(r: Recipe, n = 16) {
  const dg = r.datagen!;
  const rows = FAMILIES[dg.generator].generate(r.seed + 1, { reference_check: { ...dg.splits.rl, count: n } }, dg.params).reference_check;
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

/** The recipe's splits; one that cannot be drawn (too few distinct problems left) is bad input at its count. */
export function drawSplits({ recipe, text, path }: { recipe: Recipe; text: string; path: string }) {
  try {
    const dg = recipe.datagen!;
    return FAMILIES[dg.generator].generate(recipe.seed, dg.splits, dg.params);
  } catch (e) {
    if (!(e instanceof SplitDrawError)) throw e;
    const key = ['datagen', 'splits', e.split, 'count'];
    throw new InputError(e.message.split('\n')[0], { file: path, line: parseYaml(text, path).lineOf(key), field: key.join('.'), hint: e.hint });
  }
}

/** Writes the three splits as JSONL, checks they are disjoint, and returns their hashes and counts. */
export async function generateDatasets(loaded: { recipe: Recipe; text: string; path: string }, dir: string, root: string): Promise<Record<string, unknown>> {
  const { recipe } = loaded;
  const dg = recipe.datagen!;
  const family = FAMILIES[dg.generator];
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
  const sftFile = dg.sft_file && resolve(root, dg.sft_file);
  const held = new Map([...seen].filter(([, split]) => split !== 'sft'));
  const chat = sftFile ? await (await import('./chat-data.js')).readChatSft(sftFile, loaded.path, !('d_model' in recipe.model) ? undefined : { chars: family.chars, specials: (await import('../train/stages.js')).SPECIALS }, held) : undefined;
  const files: Record<string, { sha256: string; rows: number }> = {};
  for (const [name, rows] of Object.entries(splits)) {
    const file = join(dir, `${name}.jsonl`);
    const out = name === 'sft' ? (chat ?? rows.map((r) => ({ messages: r.messages }))) : rows.map(promptRow);
    writeJsonlAtomic(file, out);
    files[name] = { sha256: await sha256File(file), rows: out.length };
  }
  const manifest = { generator: family.name, version: family.version, seed: recipe.seed, ...(dg.params ? { params: dg.params } : {}), splits: dg.splits, files };
  writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return { files };
}

/** A spec whose data a recipe's seeded datagen makes (tiny-r1) needs no download: writes the split where the loader looks; returns the file written. */
export function regenerateIfMissing(spec: EvalSpec, dir: string): string | undefined {
  if (!spec.dataset.recipe || spec.dataset.formats.some((fmt) => existsSync(join(dir, `${spec.dataset.local}.${fmt}`)))) return undefined;
  const file = join(dir, `${spec.dataset.local}.jsonl`);
  writeJsonlAtomic(file, regenerateSplit(spec.dataset.recipe, spec.dataset.split as 'sft' | 'rl' | 'test'));
  return file;
}
