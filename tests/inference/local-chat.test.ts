import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodePieces, LocalChatBackend } from '../../src/inference/local-chat.js';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';

const HF = resolve(__dirname, '../fixtures/hf');
let b: LocalChatBackend;
beforeAll(async () => {
  b = await LocalChatBackend.load([{ path: join(HF, 'qwen2') }, { path: join(HF, 'llama') }], 'cpu');
});
afterAll(() => b.dispose());

describe('the local chat backend (serve --model, eval --checkpoint) on Hugging Face directories', () => {
  it.each(['qwen2', 'llama'])('%s: greedy chat gives the template prefix then transformers\' greedy continuation', async (name) => {
    const exp = JSON.parse(readFileSync(join(HF, name, 'expected.json'), 'utf8'));
    const g = exp.greedy[0];
    const chat = exp.chat.find((c: { ids: number[] }) => JSON.stringify(c.ids) === JSON.stringify(g.prompt_ids));
    const tok = loadHfTokenizer(join(HF, name));
    const r = await b.chat(name, { messages: chat.messages, temperature: 0, max_tokens: g.max_new_tokens, seed: 1 });
    const eos = new Set(tok.eosIds);
    const out: number[] = g.output_ids;
    const stopped = eos.has(out.at(-1)!);
    expect(r.prompt_tokens).toBe(g.prompt_ids.length);
    expect(r.completion_tokens).toBe(out.length);
    expect(r.choices[0].text).toBe((name === 'qwen2' ? '<think>\n' : '') + tok.decode(stopped ? out.slice(0, -1) : out));
    expect(r.choices[0].finish_reason).toBe(stopped ? 'stop' : 'length');
  });

  it('names both models and hashes their templates', () => {
    expect(b.models().map((m) => m.id)).toEqual(['qwen2', 'llama']);
    expect(b.chatTemplateSha256('qwen2')).not.toBe(b.chatTemplateSha256('llama'));
  });
});

describe('decodePieces', () => {
  it('splits a byte-level completion into per-token strings that join to the decoded text, never half a character', () => {
    const tok = loadHfTokenizer(join(HF, 'qwen2'));
    const ids = tok.encode('café — 😀 ok', { add_special_tokens: false });
    const pieces = decodePieces(tok, ids);
    expect(pieces).toHaveLength(ids.length);
    expect(pieces.join('')).toBe('café — 😀 ok');
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
  });
});
