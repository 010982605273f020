// Phase 2 of the parity check, Reprise's side: dumps Reprise's float32 logits on every fixture's inputs and trains
// a small LoRA on the qwen2 fixture (SFT, a few steps), saving the PEFT adapter, the merged checkpoint and the
// adapter's logits, for check_reprise.py to compare with transformers and PEFT on the GPU machine.
//
//   npx tsx scripts/parity/dump_reprise.ts [--fixtures tests/fixtures/hf] --out DUMP

import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { attachLora, loadAdapter, LoraSettings, mergeLora, saveAdapter } from '../../src/model/lora.js';
import { saveHfModel } from '../../src/model/hf-save.js';
import { hfPolicy, type ChatCodec } from '../../src/model/policy.js';
import { saveSafetensors } from '../../src/model/checkpoint.js';
import { parseRecipe } from '../../src/config/recipe.js';
import { trainSft } from '../../src/train/sft.js';

const { values } = parseArgs({ options: { fixtures: { type: 'string', default: 'tests/fixtures/hf' }, out: { type: 'string' } } });
if (!values.out) throw new Error('--out DUMP is required');
const root = values.fixtures!;
const out = values.out;
mkdirSync(out, { recursive: true });
process.env.REPRISE_QUIET = '1';
await initBackend('wasm');

const inputsOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { inputs: number[][] }).inputs;
function logits3(m: HfModel, inputs: number[][]): tf.Tensor {
  const [B, T] = [inputs.length, inputs[0].length];
  return tf.tidy(() => m.forward(tf.tensor2d(inputs, [B, T], 'int32')).reshape([B, T, m.config.vocab_size]));
}

for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'expected.safetensors'))) continue;
  const inputs = inputsOf(dir);
  const isAdapter = existsSync(join(dir, 'adapter_config.json'));
  const m = await loadHfModel(isAdapter ? join(root, 'qwen2') : dir);
  const tensors: Record<string, tf.Tensor> = {};
  if (isAdapter) loadAdapter(m, dir);
  tensors.logits = logits3(m, inputs);
  if (isAdapter) {
    mergeLora(m);
    tensors.merged_logits = logits3(m, inputs);
  }
  await saveSafetensors(join(out, `${name}.reprise.safetensors`), tensors, { format: 'pt' });
  tf.dispose(Object.values(tensors));
  m.dispose();
  console.log(`dumped ${name}`);
}

// a LoRA trained by Reprise on qwen2: ChatML markers around printable characters (ids 32..126 are byte tokens)
const codec: ChatCodec = {
  encodePrompt: (ms) => ms.flatMap((m) => [351, ...[...m.content].map((c) => c.charCodeAt(0)), 352]).concat([351]),
  encodeChat(ms) {
    return { prompt: this.encodePrompt(ms.slice(0, -1)), completion: [...[...ms[ms.length - 1].content].map((c) => c.charCodeAt(0)), 352] };
  },
  decode: (ids) => String.fromCharCode(...ids.filter((i) => i >= 32 && i < 127)),
  prefill: () => '',
  eosIds: [352],
  pad: 350,
};
const conversations = ['1+2=3', '2+2=4', '3+4=7', '5+1=6', '7+2=9', '4+4=8'].map((t) => ({
  messages: [{ role: 'user' as const, content: t.slice(0, 4) }, { role: 'assistant' as const, content: `<answer>${t.slice(4)}</answer>` }],
}));
const { sft } = parseRecipe(readFileSync('recipes/tiny-r1/v1.yaml', 'utf8'), 'v1.yaml');
if (!sft) throw new Error('recipes/tiny-r1/v1.yaml has no sft stage');
const base = join(root, 'qwen2');
const m = await loadHfModel(base);
attachLora(m, LoraSettings.parse({ r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: 'all-linear' }), 7);
const work = join(tmpdir(), `reprise-parity-${process.pid}`);
await trainSft({ model: hfPolicy(m, codec), conversations, cfg: { ...sft, steps: 20, batch_size: 6, lr: 1e-2, warmup_steps: 0, checkpoint_every: 1000, log_every: 5 }, seed: 7, ckpt: join(work, 'ckpt.safetensors'), logFile: join(work, 'log.jsonl') });
await saveAdapter(m, join(out, 'adapter'), '../qwen2');
await saveHfModel(m, join(out, 'merged'));
const t = logits3(m, inputsOf(base));
await saveSafetensors(join(out, 'adapter-logits.safetensors'), { logits: t }, { format: 'pt' });
console.log(`trained adapter: ${join(out, 'adapter')}, merged: ${join(out, 'merged')}`);
t.dispose();
m.dispose();
