// The eval stage of a recipe: one local checkpoint on the held-out split, scored into a ModelResult.

import { join } from 'node:path';
import type { Recipe } from '../config/recipe.js';
import { disposeModel, loadModel } from '../inference/local.js';
import { loadGenerationModel } from '../inference/generation-model.js';
import { evalLocal, gptEvalModel, hfEvalModel, type EvalModel, type EvalProblem } from './run-local.js';
import { modelMetrics, perProblem } from './score.js';
import type { ModelResult } from './results.js';
import { writeJsonAtomic } from '../util/fs.js';

export async function evalStage(recipe: Recipe, name: string, stageName: string, ckpt: string, problems: EvalProblem[], dir: string): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  // a Hugging Face model's stages are directories (config.json, safetensors, tokenizer); ours are one file
  let sha256: string;
  let model: EvalModel;
  let dispose: () => void;
  if (ckpt.endsWith('.safetensors')) {
    const loaded = loadModel(ckpt);
    [sha256, model, dispose] = [loaded.sha256, gptEvalModel(loaded.model), () => disposeModel(loaded.model)];
  } else {
    const g = await loadGenerationModel(ckpt, recipe.backend);
    [sha256, model, dispose] = [g.sha256, hfEvalModel(g), () => g.dispose()];
  }
  const samplesFile = join(dir, 'samples.jsonl');
  const r = await evalLocal({ model, problems, cfg: recipe.eval, seed: recipe.seed, samplesFile, label: name });
  dispose();
  const n = recipe.eval.n_samples;
  const scores = perProblem(r.records, problems.map((p) => p.id), n);
  const sampled = r.records.filter((x) => x.sample >= 0);
  const result: ModelResult = {
    model: name,
    stage: stageName,
    checkpoint_hash: sha256,
    bench: `${recipe.name}/test`,
    n_problems: problems.length,
    n_samples: n,
    sampling: { temperature: recipe.eval.temperature, top_p: recipe.eval.top_p, max_tokens: recipe.eval.max_tokens, seed: recipe.seed },
    metrics: modelMetrics(scores, n, `${recipe.seed}/${name}`, recipe.eval.bootstrap_resamples),
    counts: {
      samples: sampled.length,
      format_ok: sampled.filter((x) => x.format_ok).length,
      unjudged: sampled.filter((x) => x.correct === null).length,
      truncated: sampled.filter((x) => !x.finished).length,
    },
    mean_completion_tokens: sampled.reduce((a, x) => a + x.tokens, 0) / Math.max(1, sampled.length),
    samples_file: `samples/${name}.jsonl`,
    wall_s: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(dir, 'metrics.json'), result);
  return { result, sample_tokens_per_s: r.sampled_tokens / Math.max(r.sample_s, 1e-9) };
}
