import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyCheckpoint } from '../fixtures/tiny-checkpoint.js';
import { loadGenerationModel, type GenerationModel } from '../../src/inference/generation-model.js';
import { readGenerateInput, runGenerate, type GenerateRecord, type GenerateSettings } from '../../src/inference/generate.js';
import type { CharTokenizer } from '../../src/model/tokenizer.js';

const lines = [
  { id: 'a', messages: [{ role: 'user', content: 'What is 2+2?' }], gold: '4' },
  { id: 7, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'Hi' }] },
  { id: 'c', messages: [{ role: 'user', content: 'Say 12.' }] },
];
const settings: GenerateSettings = { max_tokens: 6, temperature: 1, top_p: 0.9, top_k: 0, seed: 3, batch_size: 8 };
let model: GenerationModel;
let dir: string;
let input: string;

beforeAll(async () => {
  model = await loadGenerationModel(await tinyCheckpoint(), 'cpu');
  dir = mkdtempSync(join(tmpdir(), 'reprise-gen-'));
  input = join(dir, 'in.jsonl');
  writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
afterAll(() => model.dispose());

const read = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as GenerateRecord);
const quiet = async <T>(f: () => Promise<T>) => {
  process.env.REPRISE_QUIET = '1';
  try {
    return await f();
  } finally {
    delete process.env.REPRISE_QUIET;
  }
};

describe('runGenerate on a Reprise checkpoint', () => {
  it('keeps every input field and adds the prompt ids of the chat template, the completion and its finish reason', async () => {
    const out = join(dir, 'out.jsonl');
    const s = await quiet(() => runGenerate({ model, input, output: out, settings }));
    const recs = read(out);
    expect(recs.map((r) => r.id)).toEqual(['a', 7, 'c']);
    expect(recs[0].gold).toBe('4');
    const tok = model.tokenizer as CharTokenizer;
    expect(recs[1].prompt_token_ids).toEqual(tok.encodePrompt(lines[1].messages as never));
    for (const r of recs) {
      expect(r.token_ids.length).toBeLessThanOrEqual(6);
      expect(r.finish_reason).toBe(r.token_ids.at(-1) === tok.eos ? 'stop' : 'length');
      expect(r.text).toBe(tok.decode(r.token_ids));
      expect(r.generation_prefix).toBe('');
    }
    expect(s).toMatchObject({ rows: 3, resumed: 0 });
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('gives each row the same completion whatever the batch size', async () => {
    await quiet(() => runGenerate({ model, input, output: join(dir, 'b8.jsonl'), settings }));
    await quiet(() => runGenerate({ model, input, output: join(dir, 'b1.jsonl'), settings: { ...settings, batch_size: 1 } }));
    expect(read(join(dir, 'b1.jsonl'))).toEqual(read(join(dir, 'b8.jsonl')));
  });

  it('resumes from the partial file: keeps matching rows, redoes a torn line and rows of a changed input line', async () => {
    const full = join(dir, 'full.jsonl');
    await quiet(() => runGenerate({ model, input, output: full, settings }));
    const want = read(full);
    const out = join(dir, 'resumed.jsonl');
    // the state of a run killed mid-way: row a intact, row 7 written for an input line since edited, row c torn
    writeFileSync(`${out}.partial`, JSON.stringify(want[0]) + '\n' + JSON.stringify({ ...want[1], gold: 'edited' }) + '\n' + JSON.stringify(want[2]).slice(0, 20));
    writeFileSync(`${out}.partial.json`, JSON.stringify({ model_sha256: model.sha256, kind: model.kind, template: model.template.sha256, settings: { max_tokens: 6, temperature: 1, top_p: 0.9, top_k: 0, seed: 3 } }));
    const s = await quiet(() => runGenerate({ model, input, output: out, settings }));
    expect(s.resumed).toBe(1);
    expect(read(out)).toEqual(want);
  });

  it('redoes every row when the sampling settings changed', async () => {
    const out = join(dir, 'changed.jsonl');
    await quiet(() => runGenerate({ model, input, output: out, settings }));
    const recs = read(out);
    writeFileSync(`${out}.partial`, recs.map((r) => JSON.stringify(r) + '\n').join(''));
    writeFileSync(`${out}.partial.json`, JSON.stringify({ model_sha256: model.sha256, kind: model.kind, template: model.template.sha256, settings: { ...settings, batch_size: undefined, seed: 4 } }));
    expect((await quiet(() => runGenerate({ model, input, output: out, settings }))).resumed).toBe(0);
  });
});

describe('the input file', () => {
  const bad = (text: string) => {
    const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(f, text);
    return () => readGenerateInput(f);
  };
  it('names the file, line and field of a bad line', () => {
    expect(bad('{"id":"a","messages":[{"role":"user","content":"x"}]}\n\n{"id":"b","messages":[{"content":"x"}]}\n')).toThrow(/bad-\w+\.jsonl, line 3, field "messages\.0\.role": /);
    expect(bad('{"id":"a"}\n')).toThrow(/line 1, field "messages"/);
    expect(bad('{"id":"a","messages":[]}\n')).toThrow(/line 1, field "messages": Too small/);
    expect(bad('{"id":"a","messages":[{"role":"user","content":"x"}]}\n{"id":"a",\n')).toThrow(/line 2: invalid JSON/);
  });
  it('refuses a repeated id, naming both lines', () => {
    expect(bad('{"id":"a","messages":[{"role":"user","content":"x"}]}\n{"id":"a","messages":[{"role":"user","content":"y"}]}\n')).toThrow(/line 2, field "id": id "a" is also on line 1/);
  });
  it('names the line whose conversation the template cannot render', async () => {
    const f = join(dir, 'tool.jsonl');
    writeFileSync(f, '{"id":"a","messages":[{"role":"user","content":"x"}]}\n{"id":"b","messages":[{"role":"tool","content":"4"}]}\n');
    await expect(runGenerate({ model, input: f, output: join(dir, 'tool-out.jsonl'), settings })).rejects.toThrow(/tool\.jsonl, line 2, field "messages": .*role "tool" is not one of system, user, assistant/);
  });
});

describe('sampling defaults from generation_config.json, as transformers\' generate() without arguments', () => {
  it('is greedy unless do_sample; with do_sample, its temperature, top_p, and top_k 50 when unset', async () => {
    const { generationDefaults } = await import('../../src/inference/generation-model.js');
    expect(generationDefaults({})).toEqual({ temperature: 0 });
    expect(generationDefaults({ do_sample: true, temperature: 0.6, top_p: 0.95 })).toEqual({ temperature: 0.6, top_p: 0.95, top_k: 50 });
    expect(generationDefaults({ do_sample: true, top_k: 20, max_new_tokens: 64 })).toEqual({ temperature: 1, top_p: 1, top_k: 20, max_tokens: 64 });
  });
});
