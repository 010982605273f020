import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';

const root = resolve(__dirname, '../..');
// training recipes (datagen-* recipes are `reprise datagen`'s, validated by their own tests)
const shipped = readdirSync(join(root, 'recipes'))
  .filter((d) => !d.startsWith('datagen-'))
  .flatMap((d) => readdirSync(join(root, 'recipes', d)).filter((f) => /^v\d+\.yaml$/.test(f)).map((f) => `recipes/${d}/${f}`));

describe('shipped recipes', () => {
  it('include the version-2 recipes next to tiny-r1 v1', () => {
    expect(shipped).toEqual(expect.arrayContaining(['recipes/tiny-r1/v1.yaml', 'recipes/tiny-r1/v2.yaml', 'recipes/countdown-r1/v1.yaml', 'recipes/multiplication-r1/v1.yaml']));
  });

  it.each(shipped)('%s validates, its name and version matching its path', (file) => {
    const { recipe } = validateRecipe(join(root, file));
    expect(file).toBe(`recipes/${recipe.name}/v${recipe.version}.yaml`);
  });

  it('tiny-r1 v2 is v1 under another version', () => {
    const v1 = validateRecipe(join(root, 'recipes/tiny-r1/v1.yaml')).recipe;
    const v2 = validateRecipe(join(root, 'recipes/tiny-r1/v2.yaml')).recipe;
    expect({ ...v2, version: 1, description: '' }).toEqual({ ...v1, description: '' });
  });
});
