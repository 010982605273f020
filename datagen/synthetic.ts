// Synthetic datasets of a datagen recipe: rows from a family, optionally decontaminated, one JSONL file per
// split with a manifest of hashes; and the check that rebuilds them and names any file that differs.

import { mkdirSync } from 'node:fs';
import type { SyntheticSpec, DatagenRecipe } from '../src/config/datagen-spec.js';
import { decontaminate, promptText, type DecontaminationReport, type NgramIndex } from '../src/data/decontaminate.js';
import { checkAgainstManifest, fileEntry, requireManifest, writeManifest, type DatasetManifest, type Mismatch } from '../src/data/manifest.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { join } from 'node:path';
import { FAMILIES } from './index.js';

export interface Rendered {
  files: Record<string, string>;
  counts: Record<string, number>;
  params: Record<string, unknown>;
  decontamination?: DecontaminationReport;
}

/** The exact bytes of each split's file; the same spec always gives the same bytes. */
export function renderSynthetic(spec: SyntheticSpec, index?: NgramIndex): Rendered {
  const family = FAMILIES[spec.family];
  const params = { ...family.params, ...spec.params };
  const splits = family.generate(spec.seed, spec.splits, params);
  const files: Record<string, string> = {};
  const counts: Record<string, number> = {};
  let decontamination: DecontaminationReport | undefined;
  for (const [split, all] of Object.entries(splits)) {
    let rows = all;
    if (index) {
      const d = decontaminate(all, promptText, (r) => r.id, index);
      rows = d.kept;
      decontamination = merge(decontamination, d.report);
    }
    files[`${split}.jsonl`] = rows.map((r) => JSON.stringify({ id: r.id, messages: r.messages, answer: r.answer, meta: r.meta })).join('\n') + (rows.length ? '\n' : '');
    counts[split] = rows.length;
  }
  return { files, counts, params: { family: family.name, seed: spec.seed, splits: spec.splits, params, decontaminate_ngram: index?.n ?? null }, decontamination };
}

function merge(a: DecontaminationReport | undefined, b: DecontaminationReport): DecontaminationReport {
  if (!a) return b;
  const per = { ...a.per_benchmark };
  for (const [k, v] of Object.entries(b.per_benchmark)) per[k] = (per[k] ?? 0) + v;
  return { ngram: a.ngram, checked: a.checked + b.checked, dropped: a.dropped + b.dropped, per_benchmark: per, examples: [...a.examples, ...b.examples].slice(0, 100) };
}

export function writeSynthetic(spec: SyntheticSpec, dir: string, recipe: DatagenRecipe, index?: NgramIndex): DatasetManifest {
  const r = renderSynthetic(spec, index);
  mkdirSync(dir, { recursive: true });
  const files: DatasetManifest['files'] = {};
  for (const [name, text] of Object.entries(r.files)) {
    writeFileAtomic(join(dir, name), text);
    files[name] = fileEntry(text);
  }
  const family = FAMILIES[spec.family];
  const m: DatasetManifest = {
    dataset: spec.name,
    kind: 'synthetic',
    generator: family.name,
    generator_version: family.version,
    recipe: { name: recipe.name, version: recipe.version },
    params: r.params,
    counts: r.counts,
    files,
    ...(r.decontamination ? { stats: { decontamination: r.decontamination } } : {}),
  };
  writeManifest(dir, m);
  return m;
}

/** Rebuilds in memory and compares with the manifest and the files on disk. */
export function checkSynthetic(spec: SyntheticSpec, dir: string, recipePath: string, index?: NgramIndex): Mismatch[] {
  const m = requireManifest(dir, recipePath);
  const r = renderSynthetic(spec, index);
  const out = checkAgainstManifest(dir, m, r.files, r.params);
  if (m.generator_version !== FAMILIES[spec.family].version) out.unshift({ file: join(dir, 'manifest.json'), problem: `generator version ${m.generator_version} in the manifest, ${FAMILIES[spec.family].version} in the code` });
  return out;
}
