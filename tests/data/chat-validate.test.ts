import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { checkExample, estimateTokens, histogram, validateChatFile } from '../../src/data/chat-validate.js';
import { dataValidateCommand } from '../../src/cli/data-validate.js';

const fixture = resolve(__dirname, '../fixtures/data/bad-chat.jsonl');

describe('data validate', () => {
  it('reports every planted error class of the fixture with its line number', () => {
    const r = validateChatFile(fixture);
    expect(r.errors.map((e) => `${e.line} ${e.key}`)).toMatchInlineSnapshot(`
      [
        "2 data_type",
        "3 missing_messages_list",
        "4 message_missing_key",
        "4 missing_content",
        "5 message_unrecognized_key",
        "6 unrecognized_role",
        "7 missing_content",
        "8 example_missing_assistant_message",
        "9 invalid_json",
      ]
    `);
    expect(r.examples).toBe(10);
  });

  it('names the key in the message, as OpenAI\'s checks do', () => {
    expect(checkExample({ messages: [{ role: 'user', content: 'x', thoughts: 1 }, { role: 'assistant', content: 'y' }] }, 5)).toEqual([
      { line: 5, key: 'message_unrecognized_key', message: 'messages[0] has unrecognized key(s) "thoughts"; allowed: role, content, name, function_call, weight' },
    ]);
  });

  it('counts tokens of the valid examples only, with the per-message overhead, and bins their lengths', () => {
    const r = validateChatFile(fixture);
    expect(r.tokens.estimated).toBe(true);
    expect(r.tokens.min).toBeGreaterThan(10);
    expect(r.histogram.reduce((a, b) => a + b.count, 0)).toBe(2);
    expect(r.too_long).toBe(0);
    expect(estimateTokens('hello world, 12345')).toBe(5);
    expect(estimateTokens('internationalization')).toBe(4);
    expect(histogram([3, 5, 9, 40])).toEqual([
      { lo: 2, hi: 4, count: 1 },
      { lo: 4, hi: 8, count: 1 },
      { lo: 8, hi: 16, count: 1 },
      { lo: 16, hi: 32, count: 0 },
      { lo: 32, hi: 64, count: 1 },
    ]);
  });

  it('fails the command with a coded error when any line is bad', async () => {
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
    try {
      await expect(dataValidateCommand(fixture)).rejects.toMatchObject({ code: 'E_DATA_INVALID' });
    } finally {
      process.stdout.write = write;
    }
    expect(printed).toContain(`${fixture}:5: message_unrecognized_key`);
    expect(printed).toMatch(/\[\d+, \d+\)/);
  });
});
