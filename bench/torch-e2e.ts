// The tfjs half of scripts/device/torch-e2e.sh (bundled by scripts/device/torch-bundle.sh):
//   logits <hf-dir> <out.json> [adapter-dir]   tfjs logits of the checkpoint (base + adapter when given) on fixed ids
//   save <hf-dir> <out-dir> <seed>             fresh LoRA with non-zero B, saved as adapter/ and merged model/ by tfjs,
//                                              with the logits of the tfjs model (adapters on) in out-dir/logits.json
//   report <runs.json> <out.json>              the bench record (bench/record.ts's shape: date, git, machine, figures)
// The torch side (scripts/device/torch_parity.py) compares logits; tfjs runs on wasm here, so logits are fp32.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadHfModel } from '../src/model/hf-model.js';
import { attachLora, loadAdapter, saveAdapter } from '../src/model/lora.js';
import { saveHfModel } from '../src/model/hf-save.js';
import { readJson, writeJsonAtomic } from '../src/util/fs.js';
import { machine } from '../src/pipeline/provenance.js';

/** Token ids every side feeds (below 300: inside every fixture's vocabulary). */
export const PARITY_IDS = [[1, 17, 42, 99, 7, 250, 3, 64, 128, 5, 11, 200], [9, 8, 7, 6, 5, 4, 3, 2, 1, 100, 150, 299]];

async function logitsOf(dir: string, adapter?: string): Promise<number[][]> {
  const m = await loadHfModel(dir, { backend: 'wasm' });
  if (adapter) loadAdapter(m, adapter);
  const B = PARITY_IDS.length;
  const T = PARITY_IDS[0].length;
  const out = tf.tidy(() => m.forward(tf.tensor2d(PARITY_IDS.flat(), [B, T], 'int32')));
  const rows = (await out.array()) as number[][];
  out.dispose();
  m.dispose();
  return rows;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, a, b, c] = argv;
  if (cmd === 'logits') {
    writeJsonAtomic(b, { ids: PARITY_IDS, logits: await logitsOf(a, c), dir: a, adapter: c ?? null });
  } else if (cmd === 'save') {
    const m = await loadHfModel(a, { backend: 'wasm' });
    attachLora(m, { r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'], use_rslora: false }, c ?? '0');
    // B starts at zero (no effect on the logits): give it values so the check means something
    for (const [k, v] of Object.entries(m.trainable)) if (k.endsWith('lora_B')) v.assign(tf.randomUniform(v.shape, -0.05, 0.05, 'float32', 7));
    await saveAdapter(m, join(b, 'adapter'), a);
    const B = PARITY_IDS.length;
    const T = PARITY_IDS[0].length;
    const out = tf.tidy(() => m.forward(tf.tensor2d(PARITY_IDS.flat(), [B, T], 'int32')));
    writeJsonAtomic(join(b, 'logits.json'), { ids: PARITY_IDS, logits: await out.array(), dir: a, adapter: join(b, 'adapter') });
    out.dispose();
    await saveHfModel(m, join(b, 'model'), { tokenizerFrom: a });
    m.dispose();
  } else if (cmd === 'report') {
    const figures = readJson<Record<string, unknown>>(a);
    const commit = process.env.REPRISE_BUNDLE_COMMIT ?? null;
    const rec = { date: new Date().toISOString(), git: { commit: commit?.replace(/-dirty$/, '') ?? null, dirty: commit ? commit.endsWith('-dirty') : null }, ...machine(), ...figures };
    writeJsonAtomic(b, rec);
    process.stdout.write(JSON.stringify(rec, null, 2) + '\n');
  } else {
    throw new Error(`usage: torch-e2e.mjs logits <dir> <out.json> [adapter] | save <dir> <out-dir> <seed> | report <in.json> <out.json>`);
  }
}

await main(process.argv.slice(2));
