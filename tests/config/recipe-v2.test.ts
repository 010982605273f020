import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRecipe } from '../../src/config/recipe.js';
import { runIdOf } from '../../src/pipeline/run.js';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';
import { InputError, RepriseError } from '../../src/util/errors.js';

const v1 = readFileSync(new URL('../../recipes/tiny-r1/v1.yaml', import.meta.url), 'utf8');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-recipes-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

function thrown(fn: () => unknown): RepriseError {
  try {
    fn();
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('expected an error');
}

describe('recipes, version 2: extends and --set', () => {
  it('a recipe that extends another changes only what it states', () => {
    const dir = tree({ 'tiny-r1/v1.yaml': v1, 'tiny-r1/v9.yaml': 'extends: tiny-r1/v1\nversion: 9\nsft:\n  steps: 7\n' });
    const l = loadRecipe(join(dir, 'tiny-r1/v9.yaml'));
    expect(l.recipe.version).toBe(9);
    expect(l.recipe.sft?.steps).toBe(7);
    expect(l.recipe.sft?.batch_size).toBe(16);
    expect(l.recipe.grpo?.steps).toBe(60);
    expect(l.extends).toEqual([join(dir, 'tiny-r1/v1.yaml')]);
  });

  it('a recipe extending itself is refused as a cycle', () => {
    const dir = tree({ 'a/v1.yaml': 'extends: a/v1\n' });
    expect(thrown(() => loadRecipe(join(dir, 'a/v1.yaml'))).message).toMatch(/extends forms a cycle/);
  });

  it('--set keeps the type of the value it replaces and is recorded', () => {
    const dir = tree({ 'tiny-r1/v1.yaml': v1 });
    const l = loadRecipe(join(dir, 'tiny-r1/v1.yaml'), undefined, ['grpo.steps=3', 'grpo.scale_rewards=true', 'eval.models=[base, grpo]', 'eval.paired=[base, grpo]']);
    expect(l.recipe.grpo?.steps).toBe(3);
    expect(l.recipe.grpo?.scale_rewards).toBe(true);
    expect(l.recipe.eval.models).toEqual(['base', 'grpo']);
    expect(l.overrides).toEqual({ 'grpo.steps': 3, 'grpo.scale_rewards': true, 'eval.models': ['base', 'grpo'], 'eval.paired': ['base', 'grpo'] });
    expect(l.sha256).not.toBe(loadRecipe(join(dir, 'tiny-r1/v1.yaml')).sha256);
  });

  it('--set with a value of the wrong type names the key and the value it would replace', () => {
    const dir = tree({ 'tiny-r1/v1.yaml': v1 });
    const e = thrown(() => loadRecipe(join(dir, 'tiny-r1/v1.yaml'), undefined, ['grpo.steps=many']));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain('--set grpo.steps=many: expected a number (the recipe has 60)');
  });

  it('--set of an unknown key fails the schema, naming the key', () => {
    const dir = tree({ 'tiny-r1/v1.yaml': v1 });
    const e = thrown(() => loadRecipe(join(dir, 'tiny-r1/v1.yaml'), undefined, ['grpo.stepz=3'])) as InputError;
    expect(e.field).toBe('grpo.stepz');
    expect(e.message).toMatch(/unknown key "stepz"/);
  });

  it('a v1 file without extends or --set keeps the hash of its bytes (as its committed report recorded)', async () => {
    const { sha256 } = await import('../../src/util/hash.js');
    const dir = tree({ 'tiny-r1/v1.yaml': v1 });
    expect(loadRecipe(join(dir, 'tiny-r1/v1.yaml')).sha256).toBe(sha256(v1));
  });
});

describe('versions are immutable', () => {
  const setup = () => {
    const dir = tree({ 'recipes/tiny-r1/v1.yaml': v1 });
    const reports = join(dir, 'reports');
    mkdirSync(join(reports, 'runs', 'tiny-r1-v1-s1234'), { recursive: true });
    const { sha256 } = loadRecipe(join(dir, 'recipes/tiny-r1/v1.yaml'));
    writeFileSync(join(reports, 'runs', 'tiny-r1-v1-s1234', 'summary.json'), JSON.stringify({ recipe: { sha256 } }));
    return { dir, reports, path: join(dir, 'recipes/tiny-r1/v1.yaml') };
  };

  it('the unchanged recipe reuses its run', () => {
    const { reports, path } = setup();
    expect(runIdOf(loadRecipe(path), reports, false)).toBe('tiny-r1-v1-s1234');
  });

  it('an edited v1 is refused with E_RECIPE_CHANGED instead of overwriting its report', () => {
    const { reports, path } = setup();
    writeFileSync(path, v1.replace('steps: 300', 'steps: 301'));
    const e = thrown(() => runIdOf(loadRecipe(path), reports, false));
    expect(e.code).toBe('E_RECIPE_CHANGED');
    expect(e.message).toMatch(/tiny-r1 v1 already has a run[\s\S]*v2\.yaml[\s\S]*--new-run/);
  });

  it('--new-run keeps both: the changed recipe gets a run of its own', () => {
    const { reports, path } = setup();
    writeFileSync(path, v1.replace('steps: 300', 'steps: 301'));
    const l = loadRecipe(path);
    expect(runIdOf(l, reports, true)).toBe(`tiny-r1-v1-s1234-${l.sha256.slice(0, 8)}`);
  });

  it('a --set override is a change too', () => {
    const { reports, path } = setup();
    expect(thrown(() => runIdOf(loadRecipe(path, undefined, ['sft.steps=5']), reports, false)).code).toBe('E_RECIPE_CHANGED');
  });
});

describe('stages are optional and ordered', () => {
  const load = (child: string, sets: string[] = []) => {
    const dir = tree({ 'recipes/tiny-r1/v1.yaml': v1, 'recipes/x/v1.yaml': `extends: tiny-r1/v1\nname: x\n${child}` });
    return validateRecipe(join(dir, 'recipes/x/v1.yaml'), sets).recipe;
  };

  it('GRPO from the base (R1-Zero): no sft stage, grpo.from base', () => {
    const r = load('sft: null\ngrpo:\n  from: base\neval:\n  models: [base, grpo]\n  paired: [base, grpo]\n');
    expect(r.sft).toBeUndefined();
    expect(r.grpo?.from).toBe('base');
  });

  it('SFT only: --set grpo=null drops the inherited stage', () => {
    const r = load('eval:\n  models: [base, sft]\n  paired: [base, sft]\n', ['grpo=null']);
    expect(r.grpo).toBeUndefined();
    expect(r.sft?.steps).toBe(300);
  });

  it('GRPO from an SFT stage the recipe does not have is refused, naming grpo.from', () => {
    const e = thrown(() => load('sft: null\ngrpo:\n  from: sft\neval:\n  models: [base, grpo]\n  paired: [base, grpo]\n')) as InputError;
    expect(e.field).toBe('grpo.from');
    expect(e.message).toMatch(/no sft stage/);
  });

  it('evaluating a model whose stage is absent is refused', () => {
    const e = thrown(() => load('sft: null\n')) as InputError;
    expect(e.field).toBe('eval.models.1');
    expect(e.message).toMatch(/unknown model "sft"; allowed values: base, grpo/);
  });
});
