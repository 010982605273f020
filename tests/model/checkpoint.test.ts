import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { createModel, disposeModel, loadModel, saveModel } from '../../src/model/lm.js';
import { DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';

const spec = { kind: 'char' as const, chars: '0123456789+', specials: DEFAULT_SPECIALS };

beforeAll(async () => {
  await initBackend('wasm');
});

describe('checkpoints', () => {
  it('round-trip parameters, config, tokenizer and state exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-ckpt-'));
    const m = createModel({ d_model: 16, n_layer: 1, n_head: 2, context_length: 8 }, spec, 9);
    const sha = await saveModel(join(dir, 'm.safetensors'), m, { step: 7 });
    const back = loadModel(join(dir, 'm.safetensors'));
    expect(back.sha256).toBe(sha);
    expect(back.state).toEqual({ step: 7 });
    expect(back.model.cfg).toEqual(m.cfg);
    expect(back.model.tokenizer.vocab).toEqual(m.tokenizer.vocab);
    for (const k of Object.keys(m.params)) expect(Array.from(back.model.params[k].dataSync())).toEqual(Array.from(m.params[k].dataSync()));
    disposeModel(back.model);
    disposeModel(m);
  });

  it('are identical files for the same seed (safetensors header and data)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-ckpt-'));
    const cfg = { d_model: 16, n_layer: 1, n_head: 2, context_length: 8 };
    const shas = [];
    for (const f of ['a', 'b']) {
      const m = createModel(cfg, spec, 9);
      shas.push(await saveModel(join(dir, `${f}.safetensors`), m));
      disposeModel(m);
    }
    expect(shas[0]).toBe(shas[1]);
  });

  it('refuse a truncated file with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-ckpt-'));
    const m = createModel({ d_model: 16, n_layer: 1, n_head: 2, context_length: 8 }, spec, 9);
    await saveModel(join(dir, 'm.safetensors'), m);
    disposeModel(m);
    const buf = readFileSync(join(dir, 'm.safetensors'));
    writeFileSync(join(dir, 'cut.safetensors'), buf.subarray(0, buf.length - 10));
    expect(() => loadModel(join(dir, 'cut.safetensors'))).toThrow(/cut\.safetensors: not a valid safetensors file: tensor .* runs past the end[\s\S]*delete it and rerun/);
  });
});
