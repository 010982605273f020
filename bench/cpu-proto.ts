// A profiling probe for one GPT training step: `npx tsx bench/cpu-proto.ts L,d,H,T,B,V [blas]` prints ms and CPU ms
// per step; PROFILE=1 adds the kernels that took the most time, by name and input shapes.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/model/backend.js';
import { forward, initParams, type GptConfig } from '../src/model/gpt.js';
import { maskedCrossEntropy } from '../src/train/losses.js';
import { AdamW } from '../src/train/optim.js';

const [L, d, H, T, B, V] = (process.argv[2] ?? '4,128,4,96,16,32').split(',').map(Number);
const useBlas = process.argv[3] === 'blas';
await initBackend(useBlas ? 'blas' : 'wasm');
const cfg: GptConfig = { vocab_size: V, d_model: d, n_layer: L, n_head: H, context_length: T };
const params = initParams(cfg, 1);
const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1, grad_clip: 1 });
const ids = tf.randomUniform([B, T], 0, V, 'int32', 1) as tf.Tensor2D;
const targets = tf.randomUniform([B * T], 0, V, 'int32', 2) as tf.Tensor1D;
const mask = tf.ones([B * T]) as tf.Tensor1D;
let loss = NaN;
const step = async () => {
  const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(forward(params, cfg, ids), targets, mask));
  await opt.apply(grads, 1e-4);
  loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
};
for (let i = 0; i < 3; i++) await step();
const n = Number(process.env.STEPS ?? 10);
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < n; i++) await step();
const ms = (performance.now() - t0) / n;
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
