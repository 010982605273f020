import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readChatSft, readChatSftReport } from '../../src/pipeline/chat-data.js';
import { modelCounter } from '../../src/train/token-counter.js';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { InputError } from '../../src/util/errors.js';

const conv = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

function file(lines: string[]): string {
  const p = join(mkdtempSync(join(tmpdir(), 'reprise-chat-')), 'sft.jsonl');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

async function errorOf(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    return e as InputError;
  }
  throw new Error('expected an error');
}

describe('SFT on a local chat JSONL file', () => {
  it('reads the conversations of a valid file', async () => {
    const rows = await readChatSft(file([conv('1+2', '<answer>3</answer>'), conv('2+2', '<answer>4</answer>')]), 'r.yaml', undefined, new Map());
    expect(rows).toEqual([
      { messages: [{ role: 'user', content: '1+2' }, { role: 'assistant', content: '<answer>3</answer>' }] },
      { messages: [{ role: 'user', content: '2+2' }, { role: 'assistant', content: '<answer>4</answer>' }] },
    ]);
  });

  it("counts tokens with OpenAI's o200k_base by default, and with the model's own tokenizer when the recipe names a checkpoint", async () => {
    const f = file([conv('What is 13 plus 5?', 'The answer is 18.')]);
    const openai = await readChatSftReport(f, 'r.yaml', undefined, new Map());
    expect(openai.tokens.tokenizer).toBe('o200k_base');
    const dir = 'tests/fixtures/hf/qwen2';
    const own = await readChatSftReport(f, 'r.yaml', undefined, new Map(), await modelCounter(dir));
    expect(own.tokens.tokenizer).toBe(`${dir} (tokenizer and chat template)`);
    // the trained (assistant) tokens are the reply as the model's tokenizer encodes it
    expect(own.tokens.assistant).toBe(loadHfTokenizer(dir).encode('The answer is 18.', { add_special_tokens: false }).length);
    expect(own.tokens.assistant).not.toBe(openai.tokens.assistant);
  });

  it('an invalid example is refused with its file and line', async () => {
    const p = file([conv('1+2', '3'), '{"messages": [{"role": "robot", "content": "x"}]}']);
    const e = await errorOf(readChatSft(p, 'r.yaml', undefined, new Map()));
    expect(e).toBeInstanceOf(InputError);
    expect(e.file).toBe(p);
    expect(e.line).toBe(2);
  });

  it('a character a from-scratch model cannot tokenize is refused, naming it', async () => {
    const e = await errorOf(readChatSft(file([conv('1+2', '<answer>three</answer>')]), 'r.yaml', { chars: '0123456789+', specials: ['<answer>', '</answer>'] }, new Map()));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/character "t" is not in the model's tokenizer/);
  });

  it('a conversation that asks a held-out question is refused', async () => {
    const e = await errorOf(readChatSft(file([conv('1+2', '3'), conv('5+5', '10')]), 'r.yaml', undefined, new Map([['5+5', 'test']])));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/a question of the test split/);
  });
});
