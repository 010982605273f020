import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { encodeChatPrompt, loadChatTemplate, type TemplateMessage } from '../../src/model/chat-template.js';

// Tokenizer and chat-template parity with transformers 5.17 (tests/fixtures/hf, scripts/parity/make_fixtures.py).
const HF = resolve(__dirname, '../fixtures/hf');
interface Expected {
  chat_template_location: string;
  encode: { text: string; ids: number[]; ids_no_special_tokens: number[]; decoded: string; decoded_skip_special: string }[];
  chat: { messages: TemplateMessage[]; add_generation_prompt: boolean; text: string; ids: number[] }[];
}
const dirs = readdirSync(HF).filter((d) => existsSync(join(HF, d, 'config.json')) && existsSync(join(HF, d, 'tokenizer.json')));

describe.each(dirs)('%s: as transformers', (name) => {
  const dir = join(HF, name);
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const tok = loadHfTokenizer(dir);
  const tpl = loadChatTemplate(dir, tok)!;

  it(`reads the chat template from ${exp.chat_template_location === 'jinja' ? 'chat_template.jinja' : 'tokenizer_config.json'}`, () => {
    expect(tpl.source).toBe(join(dir, exp.chat_template_location === 'jinja' ? 'chat_template.jinja' : 'tokenizer_config.json'));
  });

  it('renders every chat case to the same text and the same ids as apply_chat_template', () => {
    expect(exp.chat.length).toBeGreaterThanOrEqual(3);
    for (const c of exp.chat) {
      const text = tpl.render(c.messages, { add_generation_prompt: c.add_generation_prompt });
      expect(text).toBe(c.text);
      expect(tok.encode(text, { add_special_tokens: false })).toEqual(c.ids);
      if (c.add_generation_prompt) expect(encodeChatPrompt(tpl, tok, c.messages).ids).toEqual(c.ids);
    }
  });

  it('encodes with and without special tokens and decodes (with and without them) as the tokenizer does', () => {
    for (const e of exp.encode) {
      expect(tok.encode(e.text, { add_special_tokens: true })).toEqual(e.ids);
      expect(tok.encode(e.text, { add_special_tokens: false })).toEqual(e.ids_no_special_tokens);
      expect(tok.decode(e.ids_no_special_tokens)).toBe(e.decoded);
      expect(tok.decode(e.ids_no_special_tokens, { skip_special_tokens: true })).toBe(e.decoded_skip_special);
    }
  });
});

describe('the generation prefix of the fixtures\' templates', () => {
  it('is "<think>\\n" where the generation prompt ends in the R1-distill prefill, else empty', () => {
    const seen: Record<string, string> = {};
    for (const name of dirs) {
      const dir = join(HF, name);
      const tok = loadHfTokenizer(dir);
      const tpl = loadChatTemplate(dir, tok)!;
      const user = [{ role: 'user', content: 'What is 1+1?' }];
      const p = encodeChatPrompt(tpl, tok, user);
      seen[name] = p.generationPrefix;
      expect(p.text.endsWith(p.generationPrefix)).toBe(true);
      expect(p.generationPrefix === '<think>\n').toBe(p.text.endsWith('<think>\n'));
    }
    expect(Object.values(seen)).toContain('<think>\n');
    expect(Object.values(seen)).toContain('');
  });
});

describe('tests/fixtures/hf/tokenizer (the shared BPE, and its Llama-3-shaped variant that adds <|begin_of_text|>)', () => {
  const exp = JSON.parse(readFileSync(join(HF, 'tokenizer/expected.json'), 'utf8')) as { special_ids: Record<string, number>; encode: { text: string; ids: number[]; ids_bos_variant: number[]; decoded: string }[] };
  const load = (file: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-hftok-'));
    try {
      cpSync(join(HF, 'tokenizer', file), join(dir, 'tokenizer.json'));
      return loadHfTokenizer(dir);
    } catch (e) {
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const plain = () => load('tokenizer.json');

  it('gives every special token its own id', () => {
    const tok = plain();
    for (const [t, id] of Object.entries(exp.special_ids)) expect(tok.tokenToId(t)).toBe(id);
  });

  it('encodes and decodes every case as the tokenizers library does; the variant adds bos only with add_special_tokens', () => {
    const tok = plain();
    const bos = load('tokenizer-bos.json');
    for (const e of exp.encode) {
      expect(tok.encode(e.text, { add_special_tokens: true })).toEqual(e.ids);
      expect(tok.decode(e.ids)).toBe(e.decoded);
      expect(bos.encode(e.text, { add_special_tokens: true })).toEqual(e.ids_bos_variant);
      expect(bos.encode(e.text, { add_special_tokens: false })).toEqual(e.ids);
    }
  });
});
