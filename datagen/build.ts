// Builds a datagen recipe's datasets (synthetic and distilled) under its output directory, or with `check`
// rebuilds the deterministic ones and fails, naming each file whose hash differs from its manifest.

import { dirname, join, resolve } from 'node:path';
import { loadDatagenRecipe, type DatagenRecipe } from '../src/config/datagen-spec.js';
import { loadSpec } from '../src/config/eval-spec.js';
import type { SchemaIssue } from '../src/config/yaml.js';
import { dataDir, findDataFile } from '../src/data/bench-data.js';
import { defaultBenchmarkSources, loadBenchmarkIndex, type NgramIndex } from '../src/data/decontaminate.js';
import type { DatasetManifest } from '../src/data/manifest.js';
import { RegistryError, RepriseError } from '../src/util/errors.js';
import { log } from '../src/util/progress.js';
import { FAMILIES } from './index.js';
import { checkSynthetic, writeSynthetic } from './synthetic.js';
import { splitIssues } from './draw.js';
import { packagePath } from '../src/util/paths.js';

export interface BuildOptions {
  check?: boolean;
  /** Overrides the recipe's out_dir. */
  outDir?: string;
  /** Where the default benchmark files are (decontaminate with neither specs nor benchmarks: version-1 recipes). */
  benchmarksDir?: string;
  /** Where eval specs' data files are (`benchmark:`, decontaminate.specs); default $REPRISE_DATA_DIR, else .reprise/data. */
  dataDir?: string;
}

export interface BuildResult {
  outDir: string;
  built: Record<string, DatasetManifest>;
  checked: string[];
  skipped: string[];
}

function specIssues(ref: string, path: SchemaIssue['path']): SchemaIssue[] {
  try {
    loadSpec(ref);
    return [];
  } catch (e) {
    return [{ path, message: (e as Error).message }];
  }
}

function registryChecks(r: DatagenRecipe): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  r.decontaminate?.specs?.forEach((s, j) => issues.push(...specIssues(s, ['decontaminate', 'specs', j])));
  r.datasets.forEach((d, i) => {
    if (d.kind === 'distill' && d.benchmark) issues.push(...specIssues(d.benchmark, ['datasets', i, 'benchmark']));
    if (d.kind !== 'synthetic') return;
    const family = FAMILIES[d.family];
    if (!family) return void issues.push({ path: ['datasets', i, 'family'], message: new RegistryError('dataset family', d.family, Object.keys(FAMILIES)).message });
    const allowed = Object.keys(family.params ?? {});
    for (const k of Object.keys(d.params)) if (!allowed.includes(k)) issues.push({ path: ['datasets', i, 'params', k], message: `family ${d.family} has no parameter "${k}"; allowed: ${allowed.join(', ') || '(none)'}` });
    issues.push(...splitIssues(family, d.splits).map((is) => ({ ...is, path: ['datasets', i, 'splits', ...is.path] })));
  });
  const names = r.datasets.map((d) => d.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) issues.push({ path: ['datasets', i, 'name'], message: `dataset name "${n}" is used twice; each dataset needs its own folder` });
  });
  return issues;
}

export function loadAndCheck(path: string): DatagenRecipe {
  return loadDatagenRecipe(path, registryChecks).recipe;
}

/** The n-gram index of the benchmarks a recipe decontaminates against; undefined when it does not. */
export async function benchmarkIndex(r: DatagenRecipe, recipePath: string, opts: BuildOptions): Promise<NgramIndex | undefined> {
  if (!r.decontaminate) return undefined;
  const { benchmarks, specs, ngram } = r.decontaminate;
  if (!benchmarks && !specs) return loadBenchmarkIndex(defaultBenchmarkSources(opts.benchmarksDir ?? process.env.REPRISE_BENCHMARKS_DIR ?? packagePath('..', 'shared', 'benchmarks')), ngram);
  const dir = dataDir(opts.dataDir);
  const fromSpecs = (specs ?? []).map((ref) => {
    const { spec, id } = loadSpec(ref);
    return { bench: id, path: findDataFile(spec, dir, id), field: spec.dataset.fields.problem };
  });
  return loadBenchmarkIndex([...(benchmarks ?? []).map((s) => ({ ...s, path: resolve(dirname(recipePath), s.path) })), ...fromSpecs], ngram);
}

export async function buildDatagen(recipePath: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const recipe = loadAndCheck(recipePath);
  const outDir = opts.outDir ?? recipe.out_dir ?? join('.reprise', 'datasets', recipe.name);
  const index = await benchmarkIndex(recipe, recipePath, opts);
  const result: BuildResult = { outDir, built: {}, checked: [], skipped: [] };
  const problems: string[] = [];
  for (const ds of recipe.datasets) {
    const dir = join(outDir, ds.name);
    if (opts.check) {
      if (ds.kind !== 'synthetic') {
        result.skipped.push(ds.name);
        log(`[datagen --check] ${ds.name}: distilled from a teacher, not deterministic: skipped`);
        continue;
      }
      const bad = checkSynthetic(ds, dir, recipePath, index);
      problems.push(...bad.map((b) => `${b.file}: ${b.problem}`));
      result.checked.push(ds.name);
      log(`[datagen --check] ${ds.name}: ${bad.length ? `${bad.length} problem(s)` : 'every file matches its manifest'}`);
      continue;
    }
    if (ds.kind === 'synthetic') {
      const m = writeSynthetic(ds, dir, recipe, index);
      log(`[datagen] ${ds.name}: ${Object.entries(m.counts).map(([k, v]) => `${k} ${v}`).join(', ')} → ${dir}`);
      result.built[ds.name] = m;
    } else {
      const { runDistill } = await import('./distill/run.js');
      result.built[ds.name] = await runDistill(ds, dir, recipe, recipePath, index, opts.dataDir);
    }
  }
  if (problems.length) throw new RepriseError('E_DATA_CHECK', `datagen --check failed for ${recipePath}:\n  ${problems.join('\n  ')}`, 'a file differs from its manifest: rebuild it with `reprise datagen <recipe>`, or, if the generator changed on purpose, make a new recipe version');
  return result;
}
