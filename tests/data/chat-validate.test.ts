import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkExample, histogram, validateChatFile, type TokenCounter } from '../../src/data/chat-validate.js';
import { dataValidateCommand } from '../../src/cli/data-validate.js';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { loadChatTemplate } from '../../src/model/chat-template.js';

const fixtures = resolve(__dirname, '../fixtures/data');
const fixture = join(fixtures, 'bad-chat.jsonl');
// counts characters: the checks do not depend on the tokenizer (OpenAI's is loaded in chat-validate-tokens.slow.test.ts)
const chars: TokenCounter = {
  name: 'chars',
  count: ({ messages }) => ({ all: messages.reduce((a, m) => a + String(m.content ?? '').length, 0), assistant: messages.reduce((a, m) => a + (m.role === 'assistant' && m.weight !== 0 ? String(m.content ?? '').length : 0), 0) }),
};

async function capture(f: () => Promise<unknown>): Promise<{ out: string; error?: unknown }> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await f();
    return { out };
  } catch (error) {
    return { out, error };
  } finally {
    process.stdout.write = write;
  }
}

describe('data validate', () => {
  it('reports every planted error class of the fixture with its line number', async () => {
    const r = await validateChatFile(fixture, { counter: chars });
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

  it("names the key in the message, as OpenAI's checks do", () => {
    expect(checkExample({ messages: [{ role: 'user', content: 'x', thoughts: 1 }, { role: 'assistant', content: 'y' }] }, 5)).toEqual([
      { line: 5, key: 'message_unrecognized_key', message: 'messages[0] has unrecognized key(s) "thoughts"; allowed: role, content, name, weight, function_call, tool_calls, tool_call_id, refusal' },
    ]);
  });

  it("accepts OpenAI's current formats: tool calls and tool messages, tools, weights, developer role, content parts, legacy functions, preference pairs", async () => {
    const r = await validateChatFile(join(fixtures, 'openai-formats.jsonl'), { counter: chars });
    expect(r.errors).toEqual([]);
    expect(r.formats).toEqual({ chat: 4, preference: 1 });
    // assistant tokens count only trained turns: the weight-0 "5" is left out
    const trained = ['It is 18C and sunny in Paris.', '4', 'Un chat.', '5', 'Today in San Francisco, it is not quite cold as expected. Morning clouds will give away to sunshine, with a high near 68F and a low around 57F.', 'It is not particularly cold in San Francisco today.'];
    expect(r.tokens.assistant).toBe(trained.join('').length);
  });

  it('reports what those formats get wrong, each with its key', async () => {
    const r = await validateChatFile(join(fixtures, 'openai-format-errors.jsonl'), { counter: chars });
    expect(r.errors.map((e) => `${e.line} ${e.key}: ${e.message}`)).toMatchInlineSnapshot(`
      [
        "1 invalid_weight: messages[0].weight is 1 on a "user" message; only assistant messages carry a weight, 0 or 1",
        "1 invalid_weight: messages[1].weight is 2; only assistant messages carry a weight, 0 or 1",
        "2 invalid_tool_calls: messages[1].tool_calls must be a non-empty list of {"id", "type": "function", "function": {"name", "arguments": "<JSON string>"}} on an assistant message",
        "2 message_missing_key: messages[2] (role "tool") lacks "tool_call_id"",
        "3 invalid_tools: tools must be a list of {"type": "function", "function": {"name", "description"?, "parameters"?}}",
        "4 invalid_preference: "preferred_output" must be a list of one assistant message",
        "4 invalid_preference: "non_preferred_output" must be a list of one assistant message",
        "5 missing_content: messages[0].content is not a list of text or image_url parts",
        "5 missing_content: messages[1].content is empty",
      ]
    `);
  });

  it('bins the lengths of the valid examples', async () => {
    const r = await validateChatFile(fixture, { counter: chars });
    expect(r.histogram.reduce((a, b) => a + b.count, 0)).toBe(2);
    expect(r.too_long).toBe(0);
    expect(histogram([3, 5, 9, 40])).toEqual([
      { lo: 2, hi: 4, count: 1 },
      { lo: 4, hi: 8, count: 1 },
      { lo: 8, hi: 16, count: 1 },
      { lo: 16, hi: 32, count: 0 },
      { lo: 32, hi: 64, count: 1 },
    ]);
  });

  it("with --tokenizer DIR, counts a conversation as the model's chat template renders and its tokenizer encodes it; a conversation the template refuses is an error", async () => {
    const dir = resolve(__dirname, '../fixtures/hf/qwen2');
    const tmp = mkdtempSync(join(tmpdir(), 'reprise-validate-'));
    const file = join(tmp, 'chat.jsonl');
    const ok = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '2+2?' }, { role: 'assistant', content: '5', weight: 0 }, { role: 'user', content: 'Again?' }, { role: 'assistant', content: '4', weight: 1 }];
    writeFileSync(file, JSON.stringify({ messages: ok }) + '\n' + readFileSync(join(fixtures, 'openai-formats.jsonl'), 'utf8').split('\n')[0] + '\n');
    const { out, error } = await capture(() => dataValidateCommand(file, { tokenizer: dir, json: true }));
    expect(error).toMatchObject({ code: 'E_DATA_INVALID' });
    const r = JSON.parse(out);
    const tok = loadHfTokenizer(dir);
    const tpl = loadChatTemplate(dir, tok)!;
    expect(r.tokens).toMatchObject({ tokenizer: `${dir} (tokenizer and chat template)`, total: tok.encode(tpl.render(ok, { add_generation_prompt: false }), { add_special_tokens: false }).length, assistant: 1 });
    expect(r.errors).toEqual([{ line: 2, key: 'template_error', message: expect.stringContaining('chat_template.jinja, field "messages": the chat template failed to render') }]);
  });

  it('fails the command with a coded error when any line is bad', async () => {
    const { out, error } = await capture(() => dataValidateCommand(fixture, { tokenizer: resolve(__dirname, '../fixtures/hf/llama') }));
    expect(error).toMatchObject({ code: 'E_DATA_INVALID' });
    expect(out).toContain(`${fixture}:5: message_unrecognized_key`);
    expect(out).toMatch(/\[\d+, \d+\)/);
  });
});
