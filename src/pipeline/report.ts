// The run's paired comparisons, recomputed from the per-sample files of the eval stages.

import type { Recipe } from '../config/recipe.js';
import type { PairedTest } from '../eval/results.js';
import { comparePaired, perProblem, type SampleRecord } from '../eval/score.js';
import { readJsonl } from '../util/fs.js';

export function pairedTests(recipe: Recipe, samples: Record<string, string>, problemIds: string[]): PairedTest[] {
  const pair = recipe.eval.paired;
  if (!pair || !samples[pair[0]] || !samples[pair[1]]) return [];
  const [a, b] = pair.map((m) => perProblem(readJsonl<SampleRecord>(samples[m]), problemIds, recipe.eval.n_samples));
  return [comparePaired(a, b, pair, recipe.seed)];
}
