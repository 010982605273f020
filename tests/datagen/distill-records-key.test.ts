// A distillation resumes from the completions already in its folder (records.jsonl) — but only those made with
// the same recipe, version and sampling: another version of the recipe, or other settings, writing to the same
// folder must not pass off old completions as its own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDatagen } from '../../datagen/build.js';
import { startTeacher, type Teacher } from '../fixtures/data/teacher-server.js';

process.env.REPRISE_QUIET = '1';

let teacher: Teacher;
beforeAll(async () => {
  teacher = await startTeacher();
});
afterAll(() => teacher.close());

const SUMS: [number, number][] = [[10, 3], [13, 4], [14, 7]];

function recipe(dir: string, version: number, temperature: number, limit?: number): string {
  const file = join(dir, `v${version}-${temperature}-${limit ?? 'all'}.yaml`);
  writeFileSync(
    file,
    `name: distill-key\nversion: ${version}\ndatasets:\n  - kind: distill\n    name: add\n    input: prompts.jsonl\n    columns: { prompt: question, answer: gold }\n` +
      `${limit ? `    limit: ${limit}\n` : ''}    endpoints: [{ base_url: "${teacher.url}", model: teacher, timeout_s: 5 }]\n    k: 3\n    sampling: { temperature: ${temperature} }\n    verifier: math\n    max_retries: 0\n`,
  );
  return file;
}

describe('distill records are resumed only by the settings that made them', () => {
  it('refuses a folder whose records another version or other sampling made, and resumes the same settings (a larger limit too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-key-'));
    writeFileSync(join(dir, 'prompts.jsonl'), SUMS.map(([a, b]) => JSON.stringify({ question: `What is ${a} plus ${b}?`, gold: a + b })).join('\n') + '\n');
    const out = join(dir, 'out');
    const first = await buildDatagen(recipe(dir, 1, 0.6, 2), { outDir: out });
    expect(first.built.add.counts).toMatchObject({ prompts: 2, done: 2 });
    const asked = teacher.requests;
    // same settings, one more prompt: only that one goes to the teacher
    const more = await buildDatagen(recipe(dir, 1, 0.6), { outDir: out });
    expect(more.built.add.counts).toMatchObject({ prompts: 3, done: 3 });
    expect(teacher.requests - asked).toBe(1);
    await expect(buildDatagen(recipe(dir, 2, 0.6), { outDir: out })).rejects.toThrow(/records\.jsonl holds completions made by distill-key v1[\s\S]*version: 1 → 2/);
    await expect(buildDatagen(recipe(dir, 1, 0.9), { outDir: out })).rejects.toThrow(/sampling\.temperature: 0\.6 → 0\.9/);
    expect(teacher.requests - asked).toBe(1);
    // a fresh folder is fine
    rmSync(join(out, 'add'), { recursive: true });
    const again = await buildDatagen(recipe(dir, 2, 0.9), { outDir: out });
    expect(again.built.add.counts).toMatchObject({ prompts: 3, done: 3 });
    expect(JSON.parse(readFileSync(join(out, 'add', 'records.key.json'), 'utf8'))).toMatchObject({ recipe: { name: 'distill-key', version: 2 } });
    // a damaged key is an error naming the file, not a stack trace
    writeFileSync(join(out, 'add', 'records.key.json'), '{"recipe": {"name": "distill-key"');
    await expect(buildDatagen(recipe(dir, 2, 0.9), { outDir: out })).rejects.toThrow(/records\.key\.json[\s\S]*invalid JSON/);
    writeFileSync(join(out, 'add', 'records.key.json'), '{"recipe": {"name": "distill-key"}}');
    await expect(buildDatagen(recipe(dir, 2, 0.9), { outDir: out })).rejects.toThrow(/records\.key\.json[\s\S]*field "recipe\.version"/);
  });
});
