// Attention's two batched products straight from the fused QKV matrix, for the `blas` backend: per (batch, head)
// one cblas_sgemm with leading dimension 3d reads q, k and v in place, so neither the heads' transposes nor the
// split are materialised (on wasm those cost more than the products). Softmax and the bias stay tfjs ops between.
//   scores(qkv [B*T, 3d]) = q kᵀ · scale → [B, H, T, T];   values(p [B, H, T, T], qkv) = p v → [B*T, d]
// Each has its gradient as a kernel of its own, also through sgemm.

import * as tf from '@tensorflow/tfjs';
import { activeBlas, type Blas } from './wasm-blas.js';

const ROW = 101;
const N = 111;
const TR = 112;

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface Attrs {
  B: number;
  T: number;
  H: number;
  scale: number;
}
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

function blasOrThrow(): Blas {
  const b = activeBlas();
  if (!b) throw new Error('the attention kernels need the blas backend');
  return b;
}

function kernel(name: string, f: (be: WasmBackend, s: Blas, a: Attrs, x: tf.TensorInfo[]) => tf.TensorInfo | tf.TensorInfo[], inputs: string[]): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (({ inputs: ins, backend, attrs }: KernelArgs) => f(backend as WasmBackend, blasOrThrow(), attrs as Attrs, inputs.map((k) => ins[k] as tf.TensorInfo))) as never,
  });
}

let registered = false;

/** Registers the four kernels on wasm (once). */
export function registerAttentionKernels(): void {
  if (registered) return;
  registered = true;
  // S[b,h] = scale · Q[b,h] K[b,h]ᵀ
  kernel('RepriseAttnScores', (be, s, { B, T, H, scale }, [qkv]) => {
    const d3 = qkv.shape[1];
    const d = d3 / 3;
    const dh = d / H;
    const out = be.makeOutput([B, H, T, T], 'float32');
    const x = be.typedArrayFromHeap(qkv);
    const o = be.typedArrayFromHeap(out);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const q = b * T * d3 + h * dh;
        s.sgemm(ROW, N, TR, T, T, dh, scale, x.subarray(q), d3, x.subarray(q + d), d3, 0, o.subarray((b * H + h) * T * T), T);
      }
    return out;
  }, ['qkv']);
  // dQ = scale · dS K, dK = scale · dSᵀ Q; the v columns get 0
  kernel('RepriseAttnScoresGrad', (be, s, { B, T, H, scale }, [dS, qkv]) => {
    const d3 = qkv.shape[1];
    const d = d3 / 3;
    const dh = d / H;
    const out = be.makeOutput([B * T, d3], 'float32');
    const x = be.typedArrayFromHeap(qkv);
    const g = be.typedArrayFromHeap(dS);
    const o = be.typedArrayFromHeap(out);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) o.fill(0, (b * T + t) * d3 + 2 * d, (b * T + t + 1) * d3);
      for (let h = 0; h < H; h++) {
        const q = b * T * d3 + h * dh;
        const gs = g.subarray((b * H + h) * T * T);
        s.sgemm(ROW, N, N, T, dh, T, scale, gs, T, x.subarray(q + d), d3, 0, o.subarray(q), d3);
        s.sgemm(ROW, TR, N, T, dh, T, scale, gs, T, x.subarray(q), d3, 0, o.subarray(q + d), d3);
      }
    }
    return out;
  }, ['dS', 'qkv']);
  // Y[b rows, h cols] = P[b,h] V[b,h]
  kernel('RepriseAttnValues', (be, s, { B, T, H }, [p, qkv]) => {
    const d3 = qkv.shape[1];
    const d = d3 / 3;
    const dh = d / H;
    const out = be.makeOutput([B * T, d], 'float32');
    const x = be.typedArrayFromHeap(qkv);
    const pv = be.typedArrayFromHeap(p);
    const o = be.typedArrayFromHeap(out);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        s.sgemm(ROW, N, N, T, dh, T, 1, pv.subarray((b * H + h) * T * T), T, x.subarray(b * T * d3 + 2 * d + h * dh), d3, 0, o.subarray(b * T * d + h * dh), d);
    return out;
  }, ['p', 'qkv']);
  // dP = dY Vᵀ; dV = Pᵀ dY into the v columns, 0 in the q and k columns
  kernel('RepriseAttnValuesGrad', (be, s, { B, T, H }, [dy, p, qkv]) => {
    const d3 = qkv.shape[1];
    const d = d3 / 3;
    const dh = d / H;
    const dP = be.makeOutput([B, H, T, T], 'float32');
    const dX = be.makeOutput([B * T, d3], 'float32');
    const x = be.typedArrayFromHeap(qkv);
    const pv = be.typedArrayFromHeap(p);
    const g = be.typedArrayFromHeap(dy);
    const oP = be.typedArrayFromHeap(dP);
    const oX = be.typedArrayFromHeap(dX);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) oX.fill(0, (b * T + t) * d3, (b * T + t) * d3 + 2 * d);
      for (let h = 0; h < H; h++) {
        const gy = g.subarray(b * T * d + h * dh);
        const ph = (b * H + h) * T * T;
        const v = b * T * d3 + 2 * d + h * dh;
        s.sgemm(ROW, N, TR, T, T, dh, 1, gy, d, x.subarray(v), d3, 0, oP.subarray(ph), T);
        s.sgemm(ROW, TR, N, T, dh, T, 1, pv.subarray(ph), T, gy, d, 0, oX.subarray(v), d3);
      }
    }
    return [dP, dX];
  }, ['dy', 'p', 'qkv']);
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: Attrs) => tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);

/** Causal multi-head attention from qkv [B*T, 3d] (q, k, v column blocks, heads inside each) with an additive bias
 * broadcastable to [B, H, T, T]; returns [B*T, d] with heads side by side. The bias gets no gradient. */
export function fusedAttention(qkv: tf.Tensor2D, bias: tf.Tensor, B: number, T: number, H: number): tf.Tensor2D {
  registerAttentionKernels();
  const attrs: Attrs = { B, T, H, scale: 1 / Math.sqrt(qkv.shape[1] / 3 / H) };
  const scores = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: run('RepriseAttnScores', { qkv: x }, attrs) as tf.Tensor, gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => [run('RepriseAttnScoresGrad', { dS: dy, qkv: sx }, attrs) as tf.Tensor] };
  }) as never) as unknown as (x: tf.Tensor) => tf.Tensor4D;
  const values = tf.customGrad(((p: tf.Tensor, x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p, x]);
    return { value: run('RepriseAttnValues', { p, qkv: x }, attrs) as tf.Tensor, gradFunc: (dy: tf.Tensor, [sp, sx]: tf.Tensor[]) => run('RepriseAttnValuesGrad', { dy, p: sp, qkv: sx }, attrs) as tf.Tensor[] };
  }) as never) as unknown as (p: tf.Tensor, x: tf.Tensor) => tf.Tensor2D;
  const probs = tf.softmax(tf.add(scores(qkv), bias));
  return values(probs, qkv);
}

let scratch = new Float32Array(0);
let cachedRegistered = false;

/** Attention of new positions (qkv [B*T, 3d]) over cached keys and values [B*H, Tc, dh] (absent at the first step)
 * plus their own, with the additive bias [B or 1, 1, T, Tc+T]: [y [B*T, d], keys, values [B*H, Tc+T, dh]]. One kernel
 * instead of ~13 per layer and token when sampling; no gradient. */
export function cachedAttention(qkv: tf.Tensor2D, k: tf.Tensor3D | undefined, v: tf.Tensor3D | undefined, bias: tf.Tensor, B: number, T: number, H: number): [tf.Tensor2D, tf.Tensor3D, tf.Tensor3D] {
  if (!cachedRegistered) {
    cachedRegistered = true;
    tf.registerKernel({
      kernelName: 'RepriseAttnCached',
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: KernelArgs) => {
        const s = blasOrThrow();
        const be = backend as WasmBackend;
        const { B, T, H, Tc, scale } = attrs as Attrs & { Tc: number };
        const { qkv: x, k: kOld, v: vOld, bias: bi } = inputs as Record<string, tf.TensorInfo>;
        const d3 = x.shape[1];
        const d = d3 / 3;
        const dh = d / H;
        const Tk = Tc + T;
        const y = be.makeOutput([B * T, d], 'float32');
        const kOut = be.makeOutput([B * H, Tk, dh], 'float32');
        const vOut = be.makeOutput([B * H, Tk, dh], 'float32');
        const [xv, bv, yv, ko, vo] = [x, bi, y, kOut, vOut].map((t) => be.typedArrayFromHeap(t));
        const [kv, vv] = Tc ? [be.typedArrayFromHeap(kOld), be.typedArrayFromHeap(vOld)] : [ko, vo];
        const biasRows = bi.shape[0] === 1 ? 0 : T * Tk;
        if (scratch.length < T * Tk) scratch = new Float32Array(T * Tk);
        for (let b = 0; b < B; b++)
          for (let h = 0; h < H; h++) {
            const bh = b * H + h;
            if (Tc) {
              ko.set(kv.subarray(bh * Tc * dh, (bh + 1) * Tc * dh), bh * Tk * dh);
              vo.set(vv.subarray(bh * Tc * dh, (bh + 1) * Tc * dh), bh * Tk * dh);
            }
            for (let t = 0; t < T; t++) {
              const src = (b * T + t) * d3 + h * dh;
              ko.set(xv.subarray(src + d, src + d + dh), (bh * Tk + Tc + t) * dh);
              vo.set(xv.subarray(src + 2 * d, src + 2 * d + dh), (bh * Tk + Tc + t) * dh);
            }
            const kh = ko.subarray(bh * Tk * dh);
            s.sgemm(ROW, N, TR, T, Tk, dh, scale, xv.subarray(b * T * d3 + h * dh), d3, kh, dh, 0, scratch, Tk);
            for (let t = 0; t < T; t++) {
              const o = t * Tk;
              const bo = b * biasRows + t * Tk;
              let max = -Infinity;
              for (let j = 0; j < Tk; j++) max = Math.max(max, (scratch[o + j] += bv[bo + j]));
              let z = 0;
              for (let j = 0; j < Tk; j++) z += scratch[o + j] = Math.exp(scratch[o + j] - max);
              for (let j = 0; j < Tk; j++) scratch[o + j] /= z;
            }
            s.sgemm(ROW, N, N, T, dh, Tk, 1, scratch, Tk, vo.subarray(bh * Tk * dh), dh, 0, yv.subarray(b * T * d + h * dh), d);
          }
        return [y, kOut, vOut];
      }) as never,
    });
  }
  const Tc = k ? k.shape[1] : 0;
  const attrs = { B, T, H, Tc, scale: 1 / Math.sqrt(qkv.shape[1] / 3 / H) };
  const inputs: tf.NamedTensorMap = k && v ? { qkv, k, v, bias } : { qkv, bias };
  return tf.engine().runKernel('RepriseAttnCached', inputs, attrs as unknown as tf.NamedAttrMap) as [tf.Tensor2D, tf.Tensor3D, tf.Tensor3D];
}
