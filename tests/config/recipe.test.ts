import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseRecipe } from '../../src/config/recipe.js';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';
import { InputError } from '../../src/util/errors.js';

const base = readFileSync(new URL('../../recipes/tiny-r1/v1.yaml', import.meta.url), 'utf8');

function errorOf(text: string): InputError {
  try {
    parseRecipe(text, 'r.yaml');
  } catch (e) {
    return e as InputError;
  }
  throw new Error('expected the recipe to be rejected');
}

describe('recipe schema', () => {
  it('accepts the shipped recipe and fills defaults', () => {
    const r = parseRecipe(base, 'v1.yaml');
    expect(r.name).toBe('tiny-r1');
    expect(r.grpo?.loss_type).toBe('dr_grpo');
    expect(r.grpo?.optimizer).toBe('adamw');
    expect(r.grpo?.epsilon_high).toBeUndefined();
  });

  it('names an unknown key, its line, and the keys allowed there', () => {
    const e = errorOf(base.replace('  batch_size: 16', '  batch_sise: 16'));
    expect(e.message).toMatch(/^r\.yaml, line \d+, field "sft\.batch_sise": unknown key "batch_sise"; allowed keys here: steps, batch_size, optimizer, lr/);
    const line = base.split('\n').findIndex((l) => l.startsWith('  batch_size: 16')) + 1;
    expect(e.line).toBe(line);
  });

  it('lists the allowed values of an enum', () => {
    const e = errorOf(base.replace(/loss_type: \w+/, 'loss_type: ppo'));
    expect(e.field).toBe('grpo.loss_type');
    expect(e.message).toContain('allowed values: grpo, dr_grpo, dapo, bnpo');
  });

  it('rejects a value of the wrong type, naming the field', () => {
    const e = errorOf(base.replace(/^  steps: \d+/m, '  steps: many'));
    expect(e.field).toBe('sft.steps');
    expect(e.message).toMatch(/expected number/);
  });

  it('reports invalid YAML with its line', () => {
    const e = errorOf('name: x\n  bad: [1, 2\n');
    expect(e.message).toMatch(/invalid YAML/);
    expect(e.line).toBeGreaterThan(0);
  });

  it('suggests the nearest reward name from the registry', () => {
    const path = '/tmp/reprise-recipe-test.yaml';
    writeFileSync(path, base.replace('name: accuracy', 'name: acuracy'));
    expect(() => validateRecipe(path)).toThrow(/unknown reward "acuracy"[\s\S]*did you mean "accuracy"\?[\s\S]*available: accuracy, format/);
  });

  it('rejects a paired comparison naming a model that is not evaluated, naming the field and its line', () => {
    const path = '/tmp/reprise-recipe-paired-test.yaml';
    const text = base.replace(/^  paired: .*$/m, '  paired: [sft, nope]');
    writeFileSync(path, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('  paired:')) + 1;
    expect(() => validateRecipe(path)).toThrow(new RegExp(`line ${line}, field "eval\\.paired\\.1": "nope" is not one of the evaluated models \\(eval\\.models: base, sft, grpo\\)`));
  });

  it('names a missing file and where recipes live', () => {
    expect(() => validateRecipe('/nonexistent/v9.yaml')).toThrow(/recipe file not found[\s\S]*recipes\/<name>\/v<N>\.yaml/);
  });
});
