import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { regenerateSplit } from '../../src/pipeline/recipe-data.js';
import { sha256 } from '../../src/util/hash.js';
import type { RunSummary } from '../../src/eval/results.js';

const root = resolve(__dirname, '../..');

describe('regenerating a recipe split', () => {
  it('gives the exact bytes of every dataset in the committed tiny-r1 report', () => {
    const summary = JSON.parse(readFileSync(resolve(root, 'reports/runs/tiny-r1-v1-s1234/summary.json'), 'utf8')) as RunSummary;
    for (const d of summary.datasets) {
      const rows = regenerateSplit(resolve(root, 'recipes/tiny-r1/v1.yaml'), d.name as 'sft' | 'rl' | 'test');
      const bytes = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
      expect(rows.length, d.name).toBe(d.rows);
      expect(sha256(bytes), d.name).toBe(d.sha256);
    }
  });
});
