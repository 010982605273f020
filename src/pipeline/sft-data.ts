// SFT's conversations from a recipe's `sft.dataset` (open-r1's dataset options as the guide): the built output of
// a datagen recipe (distillation → SFT), or a benchmark's split read through its eval spec's loader (file, fields,
// prompt template), with the prompt column, system prompt and completion column the recipe names.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { loadDatagenRecipe } from '../config/datagen-spec.js';
import { loadSpec } from '../config/eval-spec.js';
import type { SftDataset } from '../config/recipe.js';
import { getPath, loadBench, type BenchData } from '../data/bench-data.js';
import { readManifest } from '../data/manifest.js';
import { InputError } from '../util/errors.js';
import { tiktokenCounter, type TokenCounter } from '../data/chat-validate.js';
import { sha256File } from '../util/hash.js';

export interface SftSource {
  /** `from_datagen` output: the chat JSONL as built; `benchmark`: the benchmark's data file. */
  file: string;
  sha256: string;
  /** Conversations to write (benchmark); the datagen output is read as it is. */
  rows?: { messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }[];
}

/** `datagen-distill-gsm8k/v1` names recipes/datagen-distill-gsm8k/v1.yaml beside the recipe's folder; a .yaml is a path from the recipe. */
export function datagenRecipePath(ref: string, recipeFile: string): string {
  return ref.endsWith('.yaml') ? resolve(dirname(recipeFile), ref) : resolve(dirname(recipeFile), '..', `${ref}.yaml`);
}

/** The chat JSONL a datagen recipe built (under `root`, as `reprise datagen` run there writes it), checked against its manifest. */
export async function datagenOutput(ds: SftDataset, recipeFile: string, root: string): Promise<SftSource> {
  const field = 'sft.dataset.from_datagen';
  const path = datagenRecipePath(ds.from_datagen!, recipeFile);
  if (!existsSync(path)) throw new InputError(`no datagen recipe ${ds.from_datagen} (looked for ${path})`, { file: recipeFile, field, hint: 'name one as "<name>/v<N>" (recipes/<name>/v<N>.yaml) or a path to its YAML' });
  const dg = loadDatagenRecipe(path).recipe;
  const names = dg.datasets.map((d) => d.name);
  const picked = ds.dataset ?? (names.length === 1 ? names[0] : undefined);
  const spec = dg.datasets.find((d) => d.name === picked);
  if (!spec) throw new InputError(ds.dataset ? `${ds.from_datagen} has no dataset "${ds.dataset}"; it builds: ${names.join(', ')}` : `${ds.from_datagen} builds ${names.length} datasets; name one with sft.dataset.dataset: ${names.join(', ')}`, { file: recipeFile, field: ds.dataset ? 'sft.dataset.dataset' : field });
  const split = spec.kind === 'distill' ? 'train' : Object.keys(spec.splits).find((s) => s === 'train' || s === 'sft');
  if (!split) throw new InputError(`dataset ${spec.name} of ${ds.from_datagen} has no train or sft split`, { file: recipeFile, field });
  const dir = resolve(root, dg.out_dir ?? join('.reprise', 'datasets', dg.name), spec.name);
  const file = join(dir, `${split}.jsonl`);
  const shown = (p: string) => (p.startsWith(root + sep) ? relative(root, p) : p);
  const build = `run \`reprise datagen ${shown(path)}\` in ${root} first: it writes ${shown(file)}`;
  if (!existsSync(file)) throw new InputError(`the output of ${ds.from_datagen} has not been built: no ${file}`, { file: recipeFile, field, hint: build });
  const m = readManifest(dir);
  const sha = await sha256File(file);
  if (!m || m.recipe.name !== dg.name || m.recipe.version !== dg.version) {
    throw new InputError(`${file} was not built by ${dg.name} v${dg.version} (its manifest ${m ? `names ${m.recipe.name} v${m.recipe.version}` : 'is missing'})`, { file: recipeFile, field, hint: build });
  }
  if (m.files[`${split}.jsonl`]?.sha256 !== sha) throw new InputError(`${file} differs from its manifest (changed since it was built)`, { file: recipeFile, field, hint: build });
  return { file, sha256: sha };
}

/** A benchmark's records as conversations: the spec's rendered prompt (system, user) and the completion column as the reply. */
export async function benchmarkConversations(ds: SftDataset, recipeFile: string, dataDir?: string): Promise<SftSource> {
  const loaded = loadSpec(ds.benchmark!);
  const column = ds.completion_column;
  if (!column) throw new InputError(`sft.dataset.benchmark ${loaded.id} needs completion_column: the record field whose text the model is trained to write`, { file: recipeFile, field: 'sft.dataset.completion_column', hint: `GSM8K's worked solutions are in "answer"; the spec's fields: ${JSON.stringify(loaded.spec.dataset.fields)}` });
  const s = loaded.spec;
  const spec = {
    ...s,
    dataset: { ...s.dataset, fields: { ...s.dataset.fields, problem: ds.prompt_column ?? s.dataset.fields.problem } },
    prompt: { ...s.prompt, system: ds.system_prompt ?? s.prompt.system },
  };
  const bench = await loadBench(spec, { dataDir, limit: ds.limit, id: loaded.id });
  const rows = bench.problems.map((p, i) => {
    const c = getPath(p.raw, column);
    if (typeof c !== 'string' || c.trim() === '') throw new InputError(`record ${i + 1} has no text in "${column}"`, { file: bench.file, line: i + 1, field: 'sft.dataset.completion_column', hint: `its keys are: ${Object.keys(p.raw).join(', ')}` });
    return { messages: [...p.messages, { role: 'assistant' as const, content: c }] };
  });
  return { file: bench.file, sha256: bench.sha256, rows };
}

export function sftSource(ds: SftDataset, recipeFile: string, root: string, dataDir?: string): Promise<SftSource> {
  return ds.from_datagen ? datagenOutput(ds, recipeFile, root) : benchmarkConversations(ds, recipeFile, dataDir);
}

/** The user turns of the problems a recipe evaluates, each naming its benchmark: a conversation asking one is refused from SFT. */
export function heldQuestions(benches: ReadonlyMap<string, BenchData>): Map<string, string> {
  const held = new Map<string, string>();
  for (const [b, d] of benches) for (const p of d.problems) held.set(p.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'), `benchmark ${b}`);
  return held;
}

/** Refuses SFT conversations (chat JSONL) that ask a held question, naming the line and the benchmark. */
export function refuseHeld(file: string, held: ReadonlyMap<string, string>, recipeFile: string): void {
  if (!held.size) return;
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const q = (JSON.parse(line) as { messages: { role: string; content: string }[] }).messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    const b = held.get(q);
    if (b) throw new InputError(`SFT conversation ${i + 1} asks a question of ${b}, which the recipe evaluates: trained on, it would leak into that benchmark's results`, { file: recipeFile, field: 'sft.dataset', hint: `the conversation is line ${i + 1} of ${file}; train on another split, or evaluate on another benchmark` });
  });
}

/** The conversations of at most `max` tokens as `counter` counts them (OpenAI's o200k_base when none), and how many were left out. */
export async function keepShort<T extends { messages: { role: string; content: string }[] }>(rows: T[], max: number | undefined, counter?: TokenCounter): Promise<{ rows: T[]; dropped: number }> {
  if (max === undefined) return { rows, dropped: 0 };
  const c = counter ?? (await tiktokenCounter());
  const kept = rows.filter((r) => c.count({ messages: r.messages }).all <= max);
  return { rows: kept, dropped: rows.length - kept.length };
}
