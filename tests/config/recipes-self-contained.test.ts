// The shipped recipes do not need ../shared at run time: benchmark data comes from the data directory through eval
// specs (--data-dir, $REPRISE_DATA_DIR, .reprise/data). Old versions are immutable, so the ones that predate this
// are allow-listed with the reason, and none of them may be the latest version of its recipe.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseYaml } from '../../src/config/yaml.js';

const root = resolve(__dirname, '../..');
const EXCEPTIONS: Record<string, string> = {
  'recipes/datagen-distill-gsm8k/v1.yaml': 'reads gsm8k/train.jsonl from ../shared/benchmarks and decontaminates against the files there; v2 reads both from the data directory',
};

const families = readdirSync(join(root, 'recipes')).map((d) => {
  const versions = readdirSync(join(root, 'recipes', d)).map((f) => /^v(\d+)\.yaml$/.exec(f)?.[1]).filter((v) => v !== undefined).map(Number).sort((a, b) => a - b);
  return { name: d, files: versions.map((v) => `recipes/${d}/v${v}.yaml`) };
});
const all = families.flatMap((f) => f.files);

/** Why a recipe would read ../shared: a path naming it, or a decontamination with no list (the v1 default of six files there). */
function sharedUses(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const uses = text.split('\n').flatMap((l, i) => (/^[^#]*shared\//.test(l) ? [`line ${i + 1}: ${l.trim()}`] : []));
  const value = parseYaml(text, file).value as { decontaminate?: { specs?: unknown; benchmarks?: unknown } };
  if (value.decontaminate && !value.decontaminate.specs && !value.decontaminate.benchmarks) uses.push('decontaminate without specs or benchmarks (the six files under ../shared/benchmarks)');
  return uses;
}

describe('shipped recipes do not read ../shared', () => {
  it.each(all.filter((f) => !EXCEPTIONS[f]))('%s names no path under shared/ and no implicit benchmark folder', (file) => {
    expect(sharedUses(file)).toEqual([]);
  });

  it('allow-lists only old versions that still read it, never a latest version', () => {
    const latest = families.map((f) => f.files.at(-1));
    for (const file of Object.keys(EXCEPTIONS)) {
      expect(all).toContain(file);
      expect(sharedUses(file).length, `${file} no longer reads ../shared: drop it from the exceptions`).toBeGreaterThan(0);
      expect(latest).not.toContain(file);
    }
  });
});
