import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { CharChatTemplate, encodeChatPrompt, JinjaChatTemplate, loadChatTemplate, type TemplateMessage } from '../../src/model/chat-template.js';
import { CharTokenizer, DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';

const TOK = resolve(__dirname, '../fixtures/tok');
interface Case { dir: string; template: string | null; messages: TemplateMessage[]; add_generation_prompt: boolean; tools?: unknown[]; text?: string; error?: string }
const rendered = JSON.parse(readFileSync(join(TOK, 'rendered.json'), 'utf8')) as { now: string; cases: Case[] };

describe('Jinja chat templates render as transformers renders them (texts from jinja2, scripts/parity/render_templates.py)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(rendered.now));
  });
  afterEach(() => vi.useRealTimers());

  for (const [i, c] of rendered.cases.entries()) {
    it(`case ${i}: ${c.dir}${c.template ? ` "${c.template}"` : ''}, ${c.messages.length} message(s)${c.tools ? ', tools' : ''}, add_generation_prompt ${c.add_generation_prompt}`, () => {
      const dir = join(TOK, c.dir);
      const tpl = loadChatTemplate(dir, loadHfTokenizer(dir), { name: c.template ?? undefined })!;
      const render = () => tpl.render(c.messages, { add_generation_prompt: c.add_generation_prompt, tools: c.tools });
      if (c.error !== undefined) expect(render).toThrow(`the chat template refused the conversation: ${c.error}`);
      else expect(render()).toBe(c.text);
    });
  }
});

describe('where the template comes from', () => {
  it('reads chat_template.jinja, and tokenizer_config.json\'s chat_template (a list of named templates: "default")', () => {
    const r1 = join(TOK, 'r1-like');
    expect(loadChatTemplate(r1, loadHfTokenizer(r1))!.source).toBe(join(r1, 'chat_template.jinja'));
    const q = join(TOK, 'qwen-like');
    expect(loadChatTemplate(q, loadHfTokenizer(q))!.source).toBe(`${join(q, 'tokenizer_config.json')} (chat_template "default")`);
  });

  it('prefers chat_template.jinja over tokenizer_config.json, as transformers 5 does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-tpl-'));
    try {
      cpSync(join(TOK, 'qwen-like'), dir, { recursive: true });
      writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}\n');
      const tpl = loadChatTemplate(dir, loadHfTokenizer(dir))!;
      expect(tpl.render([{ role: 'user', content: 'hi' }], { add_generation_prompt: true })).toBe('[user]hi[assistant]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and the templates it has when a named template is missing', () => {
    const q = join(TOK, 'qwen-like');
    expect(() => loadChatTemplate(q, loadHfTokenizer(q), { name: 'rag' })).toThrow(/tokenizer_config\.json, field "chat_template": no chat template named "rag"[\s\S]*the file has: default, llama3/);
  });

  it('gives a syntax error with the file it came from', () => {
    expect(() => new JinjaChatTemplate('{% if %}', '/x/chat_template.jinja')).toThrow(/\/x\/chat_template\.jinja, field "chat_template": the chat template does not parse/);
  });
});

describe('the generation prefix (the prefill after the assistant header)', () => {
  const user = [{ role: 'user', content: 'What is 2+2?' }];
  it('is "<think>\\n" for the R1-distill template, and the prompt ends with it', () => {
    const dir = join(TOK, 'r1-like');
    const tok = loadHfTokenizer(dir);
    const p = encodeChatPrompt(loadChatTemplate(dir, tok)!, tok, user);
    expect(p.generationPrefix).toBe('<think>\n');
    expect(p.text.endsWith('<｜Assistant｜><think>\n')).toBe(true);
    expect(p.ids).toEqual(tok.encode(p.text, { add_special_tokens: false }));
  });

  it('is empty for ChatML and Llama-3-style templates and for reprise-char-v1', () => {
    const dir = join(TOK, 'qwen-like');
    const tok = loadHfTokenizer(dir);
    expect(loadChatTemplate(dir, tok)!.generationPrefix(user)).toBe('');
    expect(loadChatTemplate(dir, tok, { name: 'llama3' })!.generationPrefix(user)).toBe('');
    expect(new CharChatTemplate(new CharTokenizer({ kind: 'char', chars: 'abc', specials: DEFAULT_SPECIALS })).generationPrefix()).toBe('');
  });

  it('follows template variables: a Qwen3-style template with enable_thinking=false prefills the empty think block', () => {
    const t = new JinjaChatTemplate(
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}",
      'inline',
    );
    expect(t.generationPrefix(user)).toBe('');
    expect(t.generationPrefix(user, { kwargs: { enable_thinking: false } })).toBe('<think>\n\n</think>\n\n');
  });
});

describe('reprise-char-v1', () => {
  const tok = new CharTokenizer({ kind: 'char', chars: '0123456789+=? abcdefghijklmnopqrstuvwxyzW', specials: DEFAULT_SPECIALS });
  const tpl = new CharChatTemplate(tok);
  const conv = [
    { role: 'system' as const, content: 'be brief' },
    { role: 'user' as const, content: 'what is 2+2?' },
  ];
  it('encodes to exactly the ids of encodePrompt, and of encodeChat for a training conversation', () => {
    expect(encodeChatPrompt(tpl, tok, conv).ids).toEqual(tok.encodePrompt(conv));
    const train = [...conv, { role: 'assistant' as const, content: '<think>4</think>4' }];
    const { prompt, completion } = tok.encodeChat(train);
    expect(tok.encode(tpl.render(train, { add_generation_prompt: false }), { add_special_tokens: false })).toEqual([...prompt, ...completion]);
  });

  it('refuses a role it has no marker for, naming the message', () => {
    expect(() => tpl.render([{ role: 'tool', content: '4' }], { add_generation_prompt: true })).toThrow(/field "messages\[0\]\.role": role "tool" is not one of system, user, assistant/);
  });
});
