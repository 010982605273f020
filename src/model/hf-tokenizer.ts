// Tokenizers of Hugging Face checkpoints: tokenizer.json through @huggingface/tokenizers (not by hand), special
// tokens from tokenizer_config.json, and the ids that end a generation from generation_config.json (or config.json).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfLib } from '@huggingface/tokenizers';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';

/** A special token as tokenizer_config.json writes it: a string, or (older files) an AddedToken object. */
const SpecialToken = z.union([z.string(), z.object({ content: z.string() }).loose(), z.null()]).optional();
const NamedTemplate = z.object({ name: z.string(), template: z.string() });

export const TokenizerConfig = z
  .object({
    bos_token: SpecialToken,
    eos_token: SpecialToken,
    pad_token: SpecialToken,
    unk_token: SpecialToken,
    sep_token: SpecialToken,
    cls_token: SpecialToken,
    mask_token: SpecialToken,
    additional_special_tokens: z.array(z.union([z.string(), z.object({ content: z.string() }).loose()])).optional(),
    chat_template: z.union([z.string(), z.array(NamedTemplate)]).optional().nullable(),
    clean_up_tokenization_spaces: z.boolean().optional(),
  })
  .loose();
export type TokenizerConfig = z.infer<typeof TokenizerConfig>;

const TokenId = z.union([z.number().int(), z.array(z.number().int())]).nullable().optional();
const IdsConfig = z.object({ eos_token_id: TokenId, bos_token_id: TokenId, pad_token_id: TokenId }).loose();

const TokenizerJson = z.object({ model: z.object({ type: z.string().optional() }).loose(), added_tokens: z.array(z.object({ id: z.number().int(), content: z.string(), special: z.boolean().optional() }).loose()).default([]) }).loose();

/** Reads a JSON file of a checkpoint directory and checks it against a schema; errors name the file and the field. */
export function readConfigJson<T>(file: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const is = r.error.issues[0];
    throw new InputError(is.message, { file, field: is.path.map(String).join('.') });
  }
  return r.data;
}

const tokenText = (t: z.infer<typeof SpecialToken>): string | undefined => (t == null ? undefined : typeof t === 'string' ? t : t.content);
const idList = (v: z.infer<typeof TokenId>): number[] => (v == null ? [] : Array.isArray(v) ? v : [v]);

export class HfTokenizer implements Tokenizer {
  readonly size: number;
  readonly bos: number | undefined;
  readonly eosIds: readonly number[];
  private readonly eosId: number | undefined;
  private readonly padId: number | undefined;
  /** The special tokens as strings, as transformers passes them to chat templates (bos_token, eos_token, …). */
  readonly specialTokens: Record<string, string | string[]>;

  constructor(
    private readonly lib: HfLib,
    readonly config: TokenizerConfig,
    ids: { eos: number[]; bos: number[]; pad: number[] },
    private readonly where: string,
  ) {
    this.size = lib.get_vocab(true).size;
    this.specialTokens = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const) {
      const t = tokenText(config[k]);
      if (t !== undefined) this.specialTokens[k] = t;
    }
    if (config.additional_special_tokens?.length) this.specialTokens.additional_special_tokens = config.additional_special_tokens.map((t) => (typeof t === 'string' ? t : t.content));
    const idOf = (k: 'bos_token' | 'eos_token' | 'pad_token') => {
      const t = tokenText(config[k]);
      return t === undefined ? undefined : this.tokenToId(t);
    };
    this.bos = idOf('bos_token') ?? ids.bos[0];
    this.eosIds = ids.eos.length ? ids.eos : [idOf('eos_token')].filter((x): x is number => x !== undefined);
    this.eosId = idOf('eos_token') ?? this.eosIds[0];
    this.padId = idOf('pad_token') ?? ids.pad[0] ?? this.eosId;
  }

  /** A tokenizer without eos still tokenizes; asking for its eos (to generate or train) is the error. */
  get eos(): number {
    if (this.eosId === undefined) throw new InputError('no eos token: none in generation_config.json, config.json or tokenizer_config.json', { file: this.where, field: 'eos_token_id', hint: 'set eos_token_id in generation_config.json' });
    return this.eosId;
  }

  get pad(): number {
    return this.padId ?? this.eos;
  }

  encode(text: string, opts: { add_special_tokens: boolean }): number[] {
    return this.lib.encode(text, { add_special_tokens: opts.add_special_tokens }).ids;
  }

  /** As transformers' decode: special tokens kept unless skipped; cleanup of spaces only when the config asks for it. */
  decode(ids: readonly number[], opts: { skip_special_tokens?: boolean } = {}): string {
    if (!ids.length) return '';
    return this.lib.decode([...ids], { skip_special_tokens: opts.skip_special_tokens ?? false, clean_up_tokenization_spaces: this.config.clean_up_tokenization_spaces ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }
}

/**
 * Loads the tokenizer of a checkpoint directory: tokenizer.json (required), tokenizer_config.json, and the eos ids
 * generation stops at, taken from generation_config.json, else config.json, else tokenizer_config.json's eos_token.
 */
export function loadHfTokenizer(dir: string): HfTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) throw new InputError('tokenizer.json is missing', { file, hint: 'a Hugging Face checkpoint directory holds tokenizer.json next to config.json; copy it from the base model' });
  const json = readConfigJson(file, TokenizerJson);
  const cfgFile = join(dir, 'tokenizer_config.json');
  const config = existsSync(cfgFile) ? readConfigJson(cfgFile, TokenizerConfig) : TokenizerConfig.parse({});
  let lib: HfLib;
  try {
    lib = new HfLib(json, { ...config, clean_up_tokenization_spaces: config.clean_up_tokenization_spaces ?? false });
  } catch (e) {
    throw new InputError(`the tokenizer cannot be built: ${(e as Error).message}`, { file, hint: `model type ${json.model.type ?? '?'}; @huggingface/tokenizers supports BPE, WordPiece, Unigram` });
  }
  const ids = { eos: [] as number[], bos: [] as number[], pad: [] as number[] };
  for (const name of ['generation_config.json', 'config.json']) {
    const f = join(dir, name);
    if (!existsSync(f)) continue;
    const c = readConfigJson(f, IdsConfig);
    if (!ids.eos.length) ids.eos = idList(c.eos_token_id);
    if (!ids.bos.length) ids.bos = idList(c.bos_token_id);
    if (!ids.pad.length) ids.pad = idList(c.pad_token_id);
  }
  return new HfTokenizer(lib, config, ids, dir);
}
