import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NgramIndex, decontaminateChatFile, defaultBenchmarkSources, loadBenchmarkIndex, wordNgrams } from '../../src/data/decontaminate.js';

const shared = resolve(__dirname, '../../../shared/benchmarks');
const chat = (id: string, q: string) => JSON.stringify({ id, messages: [{ role: 'user', content: q }, { role: 'assistant', content: 'ok' }] });

describe('decontamination', () => {
  it('uses open-r1\'s word n-grams: lower-cased, whitespace collapsed, none for short texts', () => {
    expect(wordNgrams('A  b\nC d', 2)).toEqual(['a b', 'b c', 'c d']);
    expect(wordNgrams('only seven words in this short text', 8)).toEqual([]);
  });

  it('drops an item sharing one 8-gram with a benchmark problem and keeps one sharing only 7 words', () => {
    const index = new NgramIndex(8);
    index.add('toy', 'one two three four five six seven eight nine');
    expect(index.match('zero ONE two three four five six seven eight')).toEqual(['toy']);
    expect(index.match('zero one two three four five six seven')).toEqual([]);
  });

  it.skipIf(!existsSync(shared))('removes a planted GSM8K test question from a training file and reports it under gsm8k', async () => {
    const gsm = readFileSync(join(shared, 'gsm8k/test.jsonl'), 'utf8').split('\n')[7];
    const question = (JSON.parse(gsm) as { question: string }).question;
    const dir = mkdtempSync(join(tmpdir(), 'decon-'));
    const input = join(dir, 'train.jsonl');
    const planted = `Here is a problem.  ${question.toUpperCase().replace(/ /g, '\n ')}`;
    writeFileSync(input, [chat('a', 'What is 17 times 23? Show each step of the long multiplication.'), chat('planted', planted), chat('b', 'Write a haiku about the sea and the sky at dawn in spring.')].join('\n') + '\n');
    const index = await loadBenchmarkIndex(defaultBenchmarkSources(shared));
    expect(index.problems).toMatchObject({ gsm8k: 1319, math500: 500, aime24: 30, aime25: 30, humaneval: 164, mbpp: 974 });
    const out = join(dir, 'clean.jsonl');
    const report = decontaminateChatFile(input, out, index);
    expect(report).toMatchObject({ ngram: 8, checked: 3, dropped: 1, examples: [{ id: 'planted', benchmarks: ['gsm8k'] }] });
    expect(report.per_benchmark).toEqual({ math500: 0, gsm8k: 1, aime24: 0, aime25: 0, humaneval: 0, mbpp: 0 });
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['a', 'b']);
  }, 30_000);

  it('names the file and field when a benchmark source is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'decon-'));
    writeFileSync(join(dir, 'b.jsonl'), '{"question": "x"}\n');
    await expect(loadBenchmarkIndex([{ bench: 'b', path: join(dir, 'b.jsonl'), field: 'problem' }])).rejects.toThrow(/b\.jsonl, line 1, field "problem": no field "problem"[\s\S]*fields here: question/);
    await expect(loadBenchmarkIndex([{ bench: 'c', path: join(dir, 'missing.jsonl'), field: 'problem' }])).rejects.toThrow(/missing\.jsonl: benchmark file for "c" not found/);
  });
});
