import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../cli-process.js';

// Bad input through the real command line: exit 2 and one clear line, never V8's abort (133) or "internal error".
const root = resolve(__dirname, '../..');
const tiny = readFileSync(join(root, 'tests/fixtures/tiny-recipe.yaml'), 'utf8');

const reprise = (args: string[], cwd: string) => cli(args, { script: 'bin/reprise.js', cwd });

describe('bad input at the command line', () => {
  it('refuses each case with exit 2 and an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-cli-bad-'));
    writeFileSync(join(dir, 'big-batch.yaml'), tiny.replace('batch_size: 16', 'batch_size: 1e9'));
    writeFileSync(join(dir, 'bomb.yaml'), ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n'));
    mkdirSync(join(dir, 'a-directory.jsonl'));
    const cases: [string[], RegExp][] = [
      [['run', 'big-batch.yaml'], /^reprise: error \[E_INPUT\]: .*big-batch\.yaml, line 25, field "sft\.batch_size": Too big/],
      [['validate', 'bomb.yaml'], /^reprise: error \[E_INPUT\]: .*bomb\.yaml: YAML aliases expand too much/],
      [['validate', 'a-directory.jsonl'], /^reprise: error \[E_INPUT\]: .*a-directory\.jsonl: is a directory, not a file/],
      [['grade', '--input', 'a-directory.jsonl', '--output', 'out.jsonl'], /^reprise: error \[E_INPUT\]: .*is a directory, not a file/],
    ];
    const results = await Promise.all(cases.map(([args]) => reprise(args, dir)));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(cases[i][1]);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    });
  }, 120_000);
});
