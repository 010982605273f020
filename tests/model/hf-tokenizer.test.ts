import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';

const QWEN = resolve(__dirname, '../fixtures/tok/qwen-like');
const R1 = resolve(__dirname, '../fixtures/tok/r1-like');

function withCopy(src: string, edit: (dir: string) => void, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-tok-'));
  try {
    cpSync(src, dir, { recursive: true });
    edit(dir);
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tokenizer.json through @huggingface/tokenizers', () => {
  const tok = loadHfTokenizer(QWEN);

  it('encodes added tokens as one id each and the rest by byte-level BPE, and decodes back to the same text', () => {
    const text = '<|im_start|>user\nwhat is 2+2? é<|im_end|>\n<think>\n';
    const ids = tok.encode(text, { add_special_tokens: false });
    expect(ids.filter((id) => id >= 281)).toEqual([282, 283, 284]);
    expect(ids).toContain(tok.tokenToId('Ġis'));
    expect(tok.decode(ids)).toBe(text);
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe('user\nwhat is 2+2? é\n<think>\n');
    expect(tok.decode([])).toBe('');
  });

  it('takes eos ids from generation_config.json (a list), the primary eos and pad from tokenizer_config.json', () => {
    expect(tok.eosIds).toEqual([283, 281]);
    expect(tok.eos).toBe(283);
    expect(tok.pad).toBe(281);
    expect(tok.bos).toBe(281);
    expect(tok.size).toBe(286);
    expect(tok.specialTokens).toEqual({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>', additional_special_tokens: ['<|im_start|>', '<|im_end|>'] });
  });

  it('reads special tokens written as AddedToken objects, and falls back to eos_token without generation_config.json', () => {
    const r1 = loadHfTokenizer(R1);
    expect(r1.specialTokens.bos_token).toBe('<|endoftext|>');
    expect([r1.bos, r1.eos, r1.pad]).toEqual([281, 281, 281]);
    expect(r1.eosIds).toEqual([281]);
  });

  it('adds the post-processor\'s special tokens only when add_special_tokens is true', () => {
    withCopy(
      QWEN,
      (dir) => {
        const j = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
        j.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [281], tokens: ['<|endoftext|>'] } } };
        writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(j));
      },
      (dir) => {
        const t = loadHfTokenizer(dir);
        const plain = t.encode('the', { add_special_tokens: false });
        expect(t.encode('the', { add_special_tokens: true })).toEqual([281, ...plain]);
      },
    );
  });

  it('names the missing file, and the file and field of a bad config', () => {
    withCopy(QWEN, (dir) => rmSync(join(dir, 'tokenizer.json')), (dir) => expect(() => loadHfTokenizer(dir)).toThrow(/tokenizer\.json: tokenizer\.json is missing/));
    withCopy(QWEN, (dir) => writeFileSync(join(dir, 'generation_config.json'), '{"eos_token_id": "x"}'), (dir) => expect(() => loadHfTokenizer(dir)).toThrow(/generation_config\.json, field "eos_token_id"/));
    withCopy(QWEN, (dir) => writeFileSync(join(dir, 'tokenizer_config.json'), '{"eos_token": '), (dir) => expect(() => loadHfTokenizer(dir)).toThrow(/tokenizer_config\.json: not valid JSON/));
  });

  it('tokenizes without an eos anywhere, but asking for its eos names where it looked', () => {
    withCopy(
      R1,
      (dir) => writeFileSync(join(dir, 'tokenizer_config.json'), '{}'),
      (dir) => {
        const t = loadHfTokenizer(dir);
        expect(t.decode(t.encode('the', { add_special_tokens: false }))).toBe('the');
        expect(t.eosIds).toEqual([]);
        expect(() => t.eos).toThrow(/field "eos_token_id": no eos token: none in generation_config\.json, config\.json or tokenizer_config\.json/);
      },
    );
  });
});
