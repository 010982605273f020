// A profiling probe for one GPT training step: `npx tsx bench/cpu-proto.ts L,d,H,T,B,V [blas]` prints ms and CPU ms
// per step; PROFILE=1 adds the kernels that took the most time, by name and input shapes.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/model/backend.js';
import { forward, initParams, type GptConfig } from '../src/model/gpt.js';
import { AdamW } from '../src/train/optim.js';
import { GPT_ADAMW, msPerStep, randomBatch, trainingStep } from './train-step.js';

const [L, d, H, T, B, V] = (process.argv[2] ?? '4,128,4,96,16,32').split(',').map(Number);
const useBlas = process.argv[3] === 'blas';
await initBackend(useBlas ? 'blas' : 'wasm');
const cfg: GptConfig = { vocab_size: V, d_model: d, n_layer: L, n_head: H, context_length: T };
const params = initParams(cfg, 1);
const opt = new AdamW(params, GPT_ADAMW);
let loss = NaN;
const train = trainingStep((ids) => forward(params, cfg, ids), randomBatch(B, T, V), opt);
const step = async () => void (loss = await train());
for (let i = 0; i < 3; i++) await step();
const n = Number(process.env.STEPS ?? 10);
const c0 = process.cpuUsage();
const ms = await msPerStep(step, 0, n);
const cu = process.cpuUsage(c0);
console.log(`cpu ${((cu.user + cu.system) / 1000 / n).toFixed(1)} ms/step`);
console.log(`${useBlas ? 'blas' : 'xnn'} ${[L, d, H, T, B, V]} ${ms.toFixed(1)} ms/step ${(B * T / ms * 1000).toFixed(0)} tok/s loss ${loss}`);
if (process.env.PROFILE) {
  const prof = await tf.profile(async () => { await step(); });
  const by = new Map<string, [number, number]>();
  for (const k of prof.kernels) { const key = `${k.name} ${JSON.stringify(k.inputShapes)}`; const e = by.get(key) ?? [0, 0]; by.set(key, [e[0] + (k.kernelTimeMs as number), e[1] + 1]); }
  const tot = prof.kernels.filter((k) => k.name !== 'forward').reduce((a, k) => a + (k.kernelTimeMs as number), 0);
  console.log(`total ${tot.toFixed(1)} in ${prof.kernels.length} kernels`);
  console.log([...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 40).map(([k, v]) => `${v[0].toFixed(1)} x${v[1]} ${k}`).join('\n'));
}
