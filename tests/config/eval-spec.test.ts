import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deepMerge, listSpecs, loadSpec } from '../../src/config/eval-spec.js';

describe('eval specs', () => {
  it('every shipped spec loads', () => {
    const ids = listSpecs();
    expect(ids).toEqual(expect.arrayContaining(['math500/default', 'math500/open-r1', 'aime24/open-r1', 'aime25/default', 'gsm8k/default', 'humaneval/default', 'mbpp/default', 'tiny-r1/default']));
    for (const id of ids) expect(loadSpec(id).spec.version).toBeGreaterThan(0);
  });

  it("open-r1 variants keep the base's data and prompt and carry open-r1's sampling and DeepSeek's reference numbers", () => {
    const base = loadSpec('aime24');
    const v = loadSpec('aime24/open-r1');
    expect(v.spec.dataset).toEqual(base.spec.dataset);
    expect(v.spec.prompt).toEqual(base.spec.prompt);
    expect(v.spec.sampling).toMatchObject({ temperature: 0.6, top_p: 0.95, n: 64 });
    expect(v.spec.references).toContainEqual(expect.objectContaining({ model: 'DeepSeek-R1-Distill-Qwen-1.5B', metric: 'avg@64', value: 0.289 }));
    expect(loadSpec('math500/open-r1').spec.sampling.n).toBe(4);
    expect(v.files.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['aime24/default.yaml', 'aime24/open-r1.yaml']);
    expect(v.hash).not.toBe(base.hash);
  });

  it('merges objects key by key and lets arrays replace', () => {
    expect(deepMerge({ a: { x: 1, y: 2 }, k: [1, 2] }, { a: { y: 3 }, k: [9] })).toEqual({ a: { x: 1, y: 3 }, k: [9] });
  });

  it('names the file, line and key of an unknown key, and suggests names for an unknown spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-spec-'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'default.yaml'), 'name: b\nversion: 1\ndataset: { split: t, local: b/t, fields: { problem: q, answer: a } }\nprompt: { user: "{problem}" }\nsampling: { temperature: 0, max_tokens: 5, n: 1 }\n');
    writeFileSync(join(dir, 'b', 'typo.yaml'), 'extends: default\nversion: 2\nsampling:\n  temprature: 1\n');
    expect(() => loadSpec('b/typo', dir)).toThrow(/typo\.yaml, line 4, field "sampling": unknown key "temprature"/);
    expect(() => loadSpec('c', dir)).toThrow(/unknown eval spec "c\/default"[\s\S]*available: b\/default, b\/typo/);
  });
});
