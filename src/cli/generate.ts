// `reprise generate --model DIR --input prompts.jsonl --output out.jsonl [sampling flags]`: completions for chat
// prompts through the model's own chat template; resumable, written atomically (see inference/generate.ts).

import { backendFlag } from '../config/recipe.js';
import { InputError } from '../util/errors.js';
import { log } from '../util/progress.js';

export interface GenerateFlags {
  model: string;
  input: string;
  output: string;
  maxTokens?: string;
  temperature?: string;
  topP?: string;
  topK?: string;
  seed?: string;
  batchSize?: string;
  backend?: string;
}

function num(flag: string, v: string | undefined, ok: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new InputError(`--${flag} must be ${what}, got "${v}"`, { field: flag });
  return x;
}

export async function generateCommand(f: GenerateFlags): Promise<void> {
  const backend = backendFlag(f.backend) ?? 'wasm';
  const int = (x: number) => Number.isInteger(x);
  const flags = {
    max_tokens: num('max-tokens', f.maxTokens, (x) => int(x) && x >= 1, 'an integer ≥ 1'),
    temperature: num('temperature', f.temperature, (x) => x >= 0, 'a number ≥ 0 (0 is greedy)'),
    top_p: num('top-p', f.topP, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    top_k: num('top-k', f.topK, (x) => int(x) && x >= 0, 'an integer ≥ 0 (0: off)'),
    seed: num('seed', f.seed, int, 'an integer'),
    batch_size: num('batch-size', f.batchSize, (x) => int(x) && x >= 1, 'an integer ≥ 1'),
  };
  const { readGenerateInput, runGenerate, formatSummary } = await import('../inference/generate.js');
  readGenerateInput(f.input); // bad input fails before the model loads
  const { loadGenerationModel } = await import('../inference/generation-model.js');
  const model = await loadGenerationModel(f.model, backend);
  try {
    const d = model.defaults;
    const settings = {
      max_tokens: flags.max_tokens ?? d.max_tokens ?? 256,
      temperature: flags.temperature ?? d.temperature ?? 1,
      top_p: flags.top_p ?? d.top_p ?? 1,
      top_k: flags.top_k ?? d.top_k ?? 0,
      seed: flags.seed ?? 0,
      batch_size: flags.batch_size ?? 8,
    };
    log(`[generate] ${model.kind} ${f.model} · template ${model.template.source} · temperature ${settings.temperature}, top_p ${settings.top_p}, top_k ${settings.top_k}, max_tokens ${settings.max_tokens}, seed ${settings.seed}`);
    const summary = await runGenerate({ model, input: f.input, output: f.output, settings });
    process.stdout.write(formatSummary(summary) + '\n');
  } finally {
    model.dispose();
  }
}
