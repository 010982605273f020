import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tiktokenCounter, validateChatFile, type TokenCounter } from '../../src/data/chat-validate.js';

// js-tiktoken builds its rank table in seconds: once per encoding here, kept out of the fast suite.
let o200k: TokenCounter;
let cl100k: TokenCounter;
beforeAll(async () => {
  [o200k, cl100k] = await Promise.all([tiktokenCounter('o200k_base'), tiktokenCounter('cl100k_base')]);
}, 120_000);

describe("token counts with OpenAI's tokenizer (js-tiktoken)", () => {
  it("counts content tokens plus the cookbook's 3 per message and 3 for the reply", () => {
    const conv = { messages: [{ role: 'user', content: 'hello world' }, { role: 'assistant', content: 'hi' }] };
    // 3 + (3 + "user" 1 + "hello world" 2) + (3 + "assistant" 1 + "hi" 1)
    expect(o200k.count(conv)).toEqual({ all: 14, assistant: 1 });
    expect(cl100k.count(conv)).toEqual({ all: 14, assistant: 1 });
  });

  it('counts special-token text as text, tool calls by name and arguments, and leaves weight-0 turns out of the trained tokens', () => {
    expect(o200k.count({ messages: [{ role: 'user', content: '<|endoftext|>' }] }).all).toBeGreaterThan(3 + 3 + 1 + 1);
    const call = { role: 'assistant', tool_calls: [{ function: { name: 'add', arguments: '{"a": 2}' } }] };
    const own = (content: string) => o200k.count({ messages: [{ role: 'assistant', content }] }).assistant;
    expect(o200k.count({ messages: [call] })).toEqual({ all: 3 + 3 + 1 + own('add') + own('{"a": 2}'), assistant: own('add') + own('{"a": 2}') });
    expect(o200k.count({ messages: [{ role: 'assistant', content: 'no', weight: 0 }] }).assistant).toBe(0);
  });

  it('is what validate uses by default, and the report names the encoding', async () => {
    const r = await validateChatFile(resolve(__dirname, '../fixtures/data/openai-formats.jsonl'));
    expect(r.tokens.tokenizer).toBe('o200k_base');
    expect(r.errors).toEqual([]);
    expect(r.tokens.min).toBeGreaterThan(20);
  });
});
