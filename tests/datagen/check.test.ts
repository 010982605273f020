import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDatagen } from '../../datagen/build.js';
import { cli } from '../cli-process.js';

process.env.REPRISE_QUIET = '1';
const root = resolve(__dirname, '../..');
const RECIPES = [
  { recipe: 'recipes/datagen-tiny-r1/v1.yaml', dataset: 'addition', readme: 'datagen/tiny-r1/README.md' },
  { recipe: 'recipes/datagen-countdown/v1.yaml', dataset: 'countdown', readme: 'datagen/countdown/README.md' },
  { recipe: 'recipes/datagen-multiplication/v1.yaml', dataset: 'multiplication', readme: 'datagen/multiplication/README.md' },
];

/** `| \`train.jsonl\` | rows | bytes | \`sha\` |` rows of a family README. */
function readmeHashes(path: string): Record<string, string> {
  return Object.fromEntries([...readFileSync(path, 'utf8').matchAll(/^\| `([\w.-]+\.jsonl)` \| \d+ \| \d+ \| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1], m[2]]));
}

describe('reprise datagen --check', () => {
  for (const { recipe, dataset, readme } of RECIPES) {
    it(`rebuilds ${recipe} to the hashes in its family README, and --check passes`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'dg-'));
      const built = await buildDatagen(join(root, recipe), { outDir: out });
      const files = built.built[dataset].files;
      expect(Object.fromEntries(Object.entries(files).map(([f, e]) => [f, e.sha256]))).toEqual(readmeHashes(join(root, readme)));
      const checked = await buildDatagen(join(root, recipe), { outDir: out, check: true });
      expect(checked.checked).toEqual([dataset]);
    }, 30_000);
  }

  it('fails, naming the file, when one byte of a generated file changes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dg-'));
    const recipe = join(root, RECIPES[2].recipe);
    await buildDatagen(recipe, { outDir: out });
    const file = join(out, 'multiplication', 'test.jsonl');
    const bytes = readFileSync(file);
    bytes[100] = bytes[100] === 0x31 ? 0x32 : 0x31;
    writeFileSync(file, bytes);
    await expect(buildDatagen(recipe, { outDir: out, check: true })).rejects.toThrow(`${file}: file on disk has sha256`);
    const r = await cli([recipe, '--check', '--out-dir', out], { script: 'tests/fixtures/data/datagen-cli.ts' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
  }, 30_000);

  it('fails when the manifest is missing, saying how to build it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dg-'));
    await expect(buildDatagen(join(root, RECIPES[1].recipe), { outDir: out, check: true })).rejects.toThrow(/no manifest\.json[\s\S]*reprise datagen/);
  });
});
