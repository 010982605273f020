import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/config/eval-spec.js';
import { loadBench, readRows, renderTemplate } from '../../src/data/bench-data.js';
import { fetchBench } from '../../src/data/hf-fetch.js';

const rows = [{ question: 'Q1 costs $1,000?', answer: 'work\n#### 1,000' }, { question: 'Q2', answer: '#### -3' }];

describe('benchmark data', () => {
  it('reads jsonl, json and jsonl.gz alike and takes the GSM8K gold after ####', async () => {
    const spec = loadSpec('gsm8k').spec;
    for (const [ext, body] of [['jsonl', rows.map((r) => JSON.stringify(r)).join('\n')], ['json', JSON.stringify(rows)], ['jsonl.gz', gzipSync(rows.map((r) => JSON.stringify(r)).join('\n'))]] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'reprise-data-'));
      mkdirSync(join(dir, 'gsm8k'));
      writeFileSync(join(dir, 'gsm8k', `test.${ext}`), body);
      const b = await loadBench(spec, { dataDir: dir });
      expect(b.problems.map((p) => [p.id, p.answer])).toEqual([['0', '1000'], ['1', '-3']]);
      expect(b.problems[0].messages[0].content).toContain('Q1 costs $1,000?');
      expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  const parquet = join(__dirname, '../../../shared/benchmarks/countdown/test.parquet');
  it.skipIf(!existsSync(parquet))('reads parquet (skipped unless ../shared/benchmarks/countdown/test.parquet is beside the repository)', async () => {
    const r = await readRows(parquet);
    expect(r).toHaveLength(1024);
    expect(r[0]).toHaveProperty('target');
  });

  it('says which file to put where when the data is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-data-'));
    await expect(loadBench(loadSpec('math500').spec, { dataDir: dir })).rejects.toThrow(/no data file for math500: put math500\/test\.jsonl or math500\/test\.json or .* in .*[\s\S]*reprise data fetch math500/);
  });

  it('fills templates from dotted paths and keeps doubled braces literal', () => {
    expect(renderTemplate('{{x}} {problem} {meta.k}', { m: [{ c: 'hi' }], meta: { k: 3 } }, 'm.0.c', 'f')).toBe('{x} hi 3');
    expect(() => renderTemplate('{nope}', {}, 'q', 'spec.yaml')).toThrow(/spec\.yaml, field "prompt\.user": the prompt template uses \{nope\}/);
  });

  it('fetch writes the file and a manifest with checksum and commit, and offline says where to put the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-fetch-'));
    const spec = loadSpec('math500').spec;
    const fake = (async (url: string) => new Response('{"problem":"p","answer":"1"}\n', { headers: { 'x-repo-commit': 'abc123' } })) as unknown as typeof fetch;
    const m = await fetchBench(spec, dir, { fetchImpl: fake });
    expect(m).toMatchObject({ resolved_commit: 'abc123', revision: spec.dataset.revision, bytes: 29 });
    expect(m.url).toBe(`https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/${spec.dataset.revision}/test.jsonl`);
    expect((await loadBench(spec, { dataDir: dir })).sha256).toBe(m.sha256);
    const offline = (async () => { throw new TypeError('fetch failed'); }) as unknown as typeof fetch;
    await expect(fetchBench(spec, dir, { fetchImpl: offline })).rejects.toThrow(/cannot reach[\s\S]*offline: download it elsewhere and put it at .*math500\/test\.jsonl/);
  });
});
