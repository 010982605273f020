import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../cli-process.js';
import { tinyCheckpoint } from '../fixtures/tiny-checkpoint.js';

const root = resolve(__dirname, '../..');
let ckpt: string;
let dir: string;
let input: string;

const reprise = (...args: string[]) => cli(['generate', ...args]);
const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; token_ids: number[]; finish_reason: string });

beforeAll(async () => {
  ckpt = await tinyCheckpoint();
  dir = mkdtempSync(join(tmpdir(), 'reprise-gen-cli-'));
  input = join(dir, 'prompts.jsonl');
  writeFileSync(input, ['What is 2+2?', 'Name a prime.', 'Hi'].map((q, i) => JSON.stringify({ id: `q${i}`, messages: [{ role: 'user', content: q }] })).join('\n') + '\n');
}, 60_000);

describe('reprise generate, run as a subprocess (a tiny GPT checkpoint; Hugging Face fixtures)', () => {
  it('is deterministic at --temperature 0 and reproducible with --seed; another seed gives other completions', async () => {
    const run = async (name: string, ...flags: string[]) => {
      const out = join(dir, name);
      const r = await reprise('--model', ckpt, '--input', input, '--output', out, '--max-tokens', '12', '--backend', 'cpu', ...flags);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^\[generate\] 3 prompts \(0 resumed\) · \d+ completion tokens · finish: stop \d, length \d/);
      return rows(out);
    };
    const g1 = await run('greedy1.jsonl', '--temperature', '0');
    expect(await run('greedy2.jsonl', '--temperature', '0', '--seed', '99')).toEqual(g1);
    const s1 = await run('seed1a.jsonl', '--seed', '1', '--temperature', '1.5');
    expect(await run('seed1b.jsonl', '--seed', '1', '--temperature', '1.5', '--batch-size', '1')).toEqual(s1);
    expect((await run('seed2.jsonl', '--seed', '2', '--temperature', '1.5')).map((r) => r.token_ids)).not.toEqual(s1.map((r) => r.token_ids));
    expect(g1.every((r) => r.token_ids.length === 12 && r.finish_reason === 'length')).toBe(true);
  }, 120_000);

  it.each(['qwen2', 'llama'])('on the Hugging Face fixture %s, greedy gives transformers\' prompt ids and greedy continuation', async (name) => {
    const fixture = join(root, 'tests/fixtures/hf', name);
    const exp = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { chat: { messages: unknown[]; add_generation_prompt: boolean; ids: number[] }[]; greedy: { prompt_ids: number[]; output_ids: number[]; max_new_tokens: number }[] };
    const g = exp.greedy[0];
    const chat = exp.chat.find((c) => c.add_generation_prompt && JSON.stringify(c.ids) === JSON.stringify(g.prompt_ids))!;
    const inp = join(dir, `${name}.jsonl`);
    writeFileSync(inp, JSON.stringify({ id: 'x', messages: chat.messages }) + '\n');
    const out = join(dir, `${name}-out.jsonl`);
    const r = await reprise('--model', fixture, '--input', inp, '--output', out, '--temperature', '0', '--max-tokens', String(g.max_new_tokens), '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const [rec] = rows(out) as unknown as { prompt_token_ids: number[]; token_ids: number[]; generation_prefix: string; text: string }[];
    expect(rec.prompt_token_ids).toEqual(g.prompt_ids);
    expect(rec.token_ids).toEqual(g.output_ids);
    expect(rec.generation_prefix).toBe(name === 'qwen2' ? '<think>\n' : '');
  }, 60_000);

  it('resumes after SIGKILL to the same output as an uninterrupted run', async () => {
    const many = join(dir, 'many.jsonl');
    writeFileSync(many, Array.from({ length: 24 }, (_, i) => JSON.stringify({ id: i, messages: [{ role: 'user', content: `What is ${i}+${i}?` }] })).join('\n') + '\n');
    const flags = (out: string) => ['generate', '--model', ckpt, '--input', many, '--output', out, '--max-tokens', '48', '--temperature', '1', '--seed', '5', '--batch-size', '1', '--backend', 'cpu'];
    const whole = join(dir, 'whole.jsonl');
    expect((await reprise(...flags(whole).slice(1))).code).toBe(0);
    const out = join(dir, 'killed.jsonl');
    await cli(flags(out), { killWhen: () => existsSync(`${out}.partial`) && readFileSync(`${out}.partial`, 'utf8').split('\n').length > 3 });
    expect(existsSync(out)).toBe(false);
    const r = await reprise(...flags(out).slice(1));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\((?!0 resumed)\d+ resumed\)/);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  }, 120_000);

  it('exits 2 with an E_INPUT naming the file, line and field of a bad input line, before loading the model', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","messages":[{"role":"user","content":"x"}]}\n{"id":"b","messages":"hi"}\n');
    const r = await reprise('--model', join(dir, 'no-such-model'), '--input', bad, '--output', join(dir, 'x.jsonl'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`reprise: error [E_INPUT]: ${bad}, line 2, field "messages": `);
  }, 60_000);

  it('exits 2 on a bad flag, naming it', async () => {
    const r = await reprise('--model', ckpt, '--input', input, '--output', join(dir, 'y.jsonl'), '--top-p', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('field "top-p": --top-p must be a number in (0, 1], got "0"');
  }, 60_000);
});
