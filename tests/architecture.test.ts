import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

// Which module may import which (STYLE.md). A new edge fails this test until the table changes.
const ALLOWED: Record<string, string[]> = {
  cli: ['*'],
  pipeline: ['train', 'eval', 'data', 'config', 'util', 'datagen', 'pipeline'],
  train: ['model', 'inference', 'data', 'rewards', 'config', 'util', 'train'],
  eval: ['inference', 'verify', 'data', 'config', 'util', 'eval'],
  inference: ['model', 'util', 'inference'],
  rewards: ['verify', 'util', 'rewards'],
  data: ['config', 'util', 'data'],
  verify: ['util', 'verify'],
  config: ['util', 'config'],
  util: ['util'],
  model: ['util', 'model'],
  // serve → rewards: `reprise rewards serve` scores with the registry itself, for TRL/open-r1 (serve/rewards-api.ts)
  serve: ['eval', 'inference', 'data', 'config', 'util', 'serve', 'rewards'],
  // export writes a recipe as TRL/open-r1 configs: the recipe (config), its datasets (pipeline), reward names
  export: ['pipeline', 'config', 'rewards', 'util', 'export'],
  datagen: ['src', 'datagen'],
};
// Files of eval that the leaderboard loads must not pull tfjs in.
const NO_TFJS = ['src/serve', 'src/eval/results.ts', 'src/eval/metrics.ts', 'src/eval/aggregate.ts', 'src/verify', 'src/rewards', 'src/config', 'src/util'];

const root = resolve(__dirname, '..');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
function moduleOf(file: string): string {
  const rel = relative(root, file).split('/');
  return rel[0] === 'src' ? (rel.length === 2 ? rel[1].replace(/\.ts$/, '') : rel[1]) : rel[0];
}
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
}

describe('architecture', () => {
  const all = [...files(join(root, 'src')), ...files(join(root, 'datagen'))];

  it('keeps every import edge inside the allowed table', () => {
    const bad: string[] = [];
    for (const f of all) {
      const from = moduleOf(f);
      for (const spec of imports(f).filter((s) => s.startsWith('.'))) {
        const to = moduleOf(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
        const top = relative(root, resolve(dirname(f), spec)).split('/')[0];
        const ok = ALLOWED[from]?.includes('*') || ALLOWED[from]?.includes(to) || (from === 'datagen' && top === 'src');
        if (!ok) bad.push(`${relative(root, f)} → ${to} (${spec})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('nothing imports the CLI', () => {
    const bad = all.filter((f) => moduleOf(f) !== 'cli' && imports(f).some((s) => /\/cli(\.js|\/)/.test(s)));
    expect(bad).toEqual([]);
  });

  it('the leaderboard and the verifiers do not load tfjs, even indirectly', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (f: string, chain: string[]) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const s of imports(f)) {
        if (s.startsWith('@tensorflow/')) bad.push([...chain, relative(root, f), s].join(' → '));
        else if (s.startsWith('.') && !/import\(/.test(s)) visit(resolve(dirname(f), s.replace(/\.js$/, '.ts')), [...chain, relative(root, f)]);
      }
    };
    for (const f of all.filter((x) => NO_TFJS.some((p) => relative(root, x).startsWith(p)))) visit(f, []);
    expect(bad).toEqual([]);
  });
});
