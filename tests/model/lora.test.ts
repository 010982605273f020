import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { attachLora, loadAdapter, LoraSettings, mergeLora, saveAdapter } from '../../src/model/lora.js';
import { saveHfModel } from '../../src/model/hf-save.js';
import { readHeader } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { TINY, writeSynthetic } from './hf-synth.js';
import { maxRelErr as maxRel } from '../rel-err.js';

const ids = () => tf.tensor2d([[2, 3, 4, 5, 6, 7], [7, 8, 9, 10, 11, 12]], [2, 6], 'int32');
const logits = (m: HfModel) => tf.tidy(() => m.forward(ids()).dataSync() as Float32Array);
/** B is zero after init; give it values so the adapter matters. */
function perturb(m: HfModel): void {
  const rng = new Rng('perturb');
  for (const [k, v] of Object.entries(m.trainable)) if (k.endsWith('lora_B')) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal()), v.shape));
}

let base: string;
beforeAll(async () => {
  await initBackend('cpu');
  base = writeSynthetic({ ...TINY, model_type: 'qwen2', tie_word_embeddings: true });
});

describe('LoRA', () => {
  it('starts as the base model (B = 0) and trains only A and B, of the targeted layers', async () => {
    const m = await loadHfModel(base, { backend: 'cpu' });
    const before = logits(m);
    const paths = attachLora(m, LoraSettings.parse({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] }), 1);
    expect(paths).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(logits(m)).toEqual(before);
    const n = tf.memory().numTensors;
    const { grads, value } = tf.variableGrads(() => tf.mean(m.forward(ids(), { train: true })) as tf.Scalar, Object.values(m.trainable));
    expect(Object.keys(grads).sort()).toEqual(Object.values(m.trainable).map((v) => v.name).sort());
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(n);
    m.dispose();
  });

  it('selects every linear layer with all-linear, and names unknown modules in the error', async () => {
    const m = await loadHfModel(base, { backend: 'cpu' });
    expect(attachLora(m, LoraSettings.parse({ target_modules: 'all-linear' }), 1)).toHaveLength(14);
    m.dispose();
    const m2 = await loadHfModel(base, { backend: 'cpu' });
    expect(() => attachLora(m2, LoraSettings.parse({ target_modules: ['q_proj', 'c_attn'] }), 1)).toThrow(/target_modules \["c_attn"\] name no linear layer of a qwen2 model/);
    m2.dispose();
  });

  it('saves in PEFT layout and reloads with the same logits; merged weights give the adapter logits', async () => {
    const m = await loadHfModel(base, { backend: 'cpu' });
    attachLora(m, LoraSettings.parse({ r: 4, lora_alpha: 8, target_modules: 'all-linear' }), 2);
    perturb(m);
    const withAdapter = logits(m);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-lora-'));
    await saveAdapter(m, join(dir, 'adapter'), 'tiny-base');
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, base_model_name_or_path: 'tiny-base', target_modules: ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj'] });
    const h = readHeader(join(dir, 'adapter', 'adapter_model.safetensors'));
    expect(h.tensors['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'].shape).toEqual([4, 32]);
    expect(h.tensors['base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'].shape).toEqual([32, 4]);

    const back = await loadHfModel(base, { backend: 'cpu' });
    loadAdapter(back, join(dir, 'adapter'));
    expect(logits(back)).toEqual(withAdapter);
    mergeLora(back);
    expect(Object.keys(back.trainable)).toEqual([]);
    expect(maxRel(logits(back), withAdapter)).toBeLessThan(1e-5);
    back.dispose();

    await saveHfModel(m, join(dir, 'merged'));
    const merged = await loadHfModel(join(dir, 'merged'), { backend: 'cpu' });
    expect(maxRel(logits(merged), withAdapter)).toBeLessThan(1e-5);
    merged.dispose();
    m.dispose();
  });

  it('refuses an adapter whose factors do not fit the base, naming the tensor', async () => {
    const m = await loadHfModel(base, { backend: 'cpu' });
    attachLora(m, LoraSettings.parse({ r: 4, target_modules: ['q_proj'] }), 3);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-lora-'));
    await saveAdapter(m, dir);
    m.dispose();
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')), r: 2 }));
    const back = await loadHfModel(base, { backend: 'cpu' });
    expect(() => loadAdapter(back, dir)).toThrow(/adapter_model\.safetensors: tensor base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight has shape \[4, 32\] but r 2 and the base model imply \[2, 32\]/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')), r: 4, use_dora: true }));
    expect(() => loadAdapter(back, dir)).toThrow(/adapter_config\.json, field "use_dora": unsupported adapter setting/);
    back.dispose();
  });
});
