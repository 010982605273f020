// A recipe's SFT split from a local chat JSONL file (OpenAI fine-tuning format) instead of the family's teacher
// traces: validated first (src/data/chat-validate.ts), every problem named by file and line.

import { readFileSync } from 'node:fs';
import { tiktokenCounter, validateChatFile, type TokenCounter, type ValidationReport } from '../data/chat-validate.js';
import { InputError } from '../util/errors.js';

/** A chat turn as the trainers read it (model/tokenizer.ts's ChatMessage; pipeline may not import model). */
interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRow {
  messages: ChatMessage[];
}

/**
 * The conversations of `file`. `vocab`: the characters and special tokens a from-scratch model's tokenizer knows
 * (a Hugging Face model has its own tokenizer, and passes none); `held` maps the user turns of held-out rows to their split, so
 * a conversation that asks a test question is refused rather than trained on.
 */
let tiktoken: Promise<TokenCounter> | undefined;

/** `counter`: the model's own tokenizer when the recipe names a checkpoint; OpenAI's o200k_base otherwise. */
export async function readChatSft(file: string, recipeFile: string, vocab: { chars: string; specials: readonly string[] } | undefined, held: Map<string, string>, counter?: TokenCounter): Promise<ChatRow[]> {
  return (await readChatSftReport(file, recipeFile, vocab, held, counter)).rows;
}

/** The conversations and the validator's token counts (ValidationReport.tokens, naming the tokenizer). */
export async function readChatSftReport(file: string, recipeFile: string, vocab: { chars: string; specials: readonly string[] } | undefined, held: Map<string, string>, counter?: TokenCounter): Promise<{ rows: ChatRow[]; tokens: ValidationReport['tokens'] }> {
  const report = await validateChatFile(file, { counter: counter ?? (await (tiktoken ??= tiktokenCounter())) });
  const where = (line: number) => ({ file, line, hint: `datagen.sft_file in ${recipeFile}; check it with \`reprise data validate ${file}\`` });
  if (report.errors.length) {
    const e = report.errors[0];
    throw new InputError(`${e.key}: ${e.message}${report.errors.length > 1 ? ` (and ${report.errors.length - 1} more)` : ''}`, where(e.line));
  }
  const known = vocab && new Set(vocab.chars);
  const plain = (t: string) => (vocab ? vocab.specials.reduce((x, sp) => x.split(sp).join(''), t) : t);
  const rows: ChatRow[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    const ex = JSON.parse(text) as { messages?: ChatMessage[] };
    if (!ex.messages) throw new InputError('a preference example where SFT needs a conversation (messages)', where(i + 1));
    const messages = ex.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : '' }));
    for (const m of messages) {
      const bad = known ? [...plain(m.content)].find((c) => !known.has(c)) : undefined;
      if (bad !== undefined) throw new InputError(`character ${JSON.stringify(bad)} is not in the model's tokenizer (a from-scratch model knows only its dataset family's characters); use a Hugging Face model (model.path) for free text`, where(i + 1));
    }
    const q = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    if (held.has(q)) throw new InputError(`this conversation asks a question of the ${held.get(q)} split: trained on, it would leak into that split's results`, where(i + 1));
    rows.push({ messages });
  });
  return { rows, tokens: report.tokens };
}
