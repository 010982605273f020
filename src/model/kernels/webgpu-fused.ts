// Fused WGSL kernels for tfjs-backend-webgpu, registered as tfjs kernels (webgpu only) and called through
// tf.engine().runKernel inside the custom gradients of norm.ts and cross-entropy.ts and by AdamW: each replaces
// a chain of 5–20 tfjs ops, and on webgpu every op costs ~100–250 µs of host time. Row kernels run one
// workgroup of WG threads per row (a tree reduction in workgroup memory); the rest one thread per element.
// Layouts: x [N, d] row-major; stats [N, 2] = (mean, rstd) per row (mean 0 for RMSNorm).

import * as tf from '@tensorflow/tfjs';

const WG = 256;

interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}
type Uniform = { type: 'float32' | 'int32'; data: number[] };
interface WebGpuBackend {
  runWebGPUProgram(p: Program, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: Uniform[]): tf.TensorInfo;
}

function program(key: string, names: string[], outputShape: number[], workgroups: number, uniforms: string, code: string): Program {
  return {
    variableNames: names,
    outputShape,
    shaderKey: `reprise_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [workgroups, 1, 1],
    workgroupSize: [WG, 1, 1],
    uniforms,
    getUserCode: () => code,
  };
}

// a tree reduction over the workgroup, unrolled; the result goes to every thread through `bcast` (on llvmpipe,
// threads reading red[0] directly after the last barrier got stale values)
const tree = (op: (a: string, b: string) => string) =>
  Array.from({ length: Math.log2(WG) }, (_, i) => WG >> (i + 1))
    .map((s) => `if (tid < ${s}u) { red[tid] = ${op('red[tid]', `red[tid + ${s}u]`)}; }\n    workgroupBarrier();`)
    .join('\n    ');

// the sum (max) over the workgroup of each thread's v; every thread must call it (it holds barriers)
const ROW_SUM = `
  var<workgroup> red : array<f32, ${WG}>;
  var<workgroup> bcast : f32;
  fn rowSum(v : f32) -> f32 {
    let tid = localId.x;
    red[tid] = v;
    workgroupBarrier();
    ${tree((a, b) => `${a} + ${b}`)}
    if (tid == 0u) { bcast = red[0]; }
    workgroupBarrier();
    let r = bcast;
    workgroupBarrier();
    return r;
  }
  fn rowMax(v : f32) -> f32 {
    let tid = localId.x;
    red[tid] = v;
    workgroupBarrier();
    ${tree((a, b) => `max(${a}, ${b})`)}
    if (tid == 0u) { bcast = red[0]; }
    workgroupBarrier();
    let r = bcast;
    workgroupBarrier();
    return r;
  }`;

const rows = (x: tf.TensorInfo) => x.shape[0];
const cols = (x: tf.TensorInfo) => x.shape[x.shape.length - 1];
const elementwise = (n: number) => Math.ceil(n / WG);

/** (mean, rstd) of each row of x [N, d]; center false: mean 0 and rstd = 1/sqrt(mean(x²) + eps) (RMSNorm). */
function normStats(x: tf.TensorInfo, eps: number, center: boolean) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
    let n = uniforms.xsShape[0];
    let d = uniforms.xsShape[1];
    let row = min(index / ${WG}, n - 1);
    let tid = i32(localId.x);
    let base = row * d;
    var s = 0.0;
    ${center ? `for (var j = tid; j < d; j += ${WG}) { s += xs[base + j]; }` : ''}
    let mean = ${center ? 'rowSum(s) / f32(d)' : '0.0'};
    var q = 0.0;
    for (var j = tid; j < d; j += ${WG}) { let c = xs[base + j] - mean; q += c * c; }
    let variance = rowSum(q) / f32(d);
    if (tid == 0 && index / ${WG} < n) {
      result[row * 2] = mean;
      result[row * 2 + 1] = inverseSqrt(variance + uniforms.eps);
    }
  }`;
  return { p: program(`norm_stats_${center}`, ['xs'], [rows(x), 2], rows(x), 'eps : f32,', code), u: [{ type: 'float32', data: [eps] }] as Uniform[] };
}

/** (x − mean)·rstd·g (+ b) for x [N, d]. */
function normApply(x: tf.TensorInfo, bias: boolean) {
  const code = `
  fn main(index : i32) {
    let d = uniforms.xsShape[1];
    if (index < uniforms.xsShape[0] * d) {
      let row = index / d;
      let j = index - row * d;
      let xhat = (xs[index] - st[row * 2]) * st[row * 2 + 1];
      result[index] = xhat * gs[j]${bias ? ' + bs[j]' : ''};
    }
  }`;
  return { p: program(`norm_apply_${bias}`, ['xs', 'st', 'gs', ...(bias ? ['bs'] : [])], x.shape, elementwise(rows(x) * cols(x)), '', code), u: [] };
}

/** dx of a norm: rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = dy·g (no mean(dxhat) term for RMSNorm). */
function normGradX(x: tf.TensorInfo, center: boolean) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
    let n = uniforms.xsShape[0];
    let d = uniforms.xsShape[1];
    let row = min(index / ${WG}, n - 1);
    let tid = i32(localId.x);
    let base = row * d;
    let mean = st[row * 2];
    let rstd = st[row * 2 + 1];
    var s1 = 0.0;
    var s2 = 0.0;
    for (var j = tid; j < d; j += ${WG}) {
      let g = dys[base + j] * gs[j];
      s1 += g;
      s2 += g * ((xs[base + j] - mean) * rstd);
    }
    let m1 = ${center ? 'rowSum(s1) / f32(d)' : '0.0'};
    let m2 = rowSum(s2) / f32(d);
    if (index / ${WG} < n) {
      for (var j = tid; j < d; j += ${WG}) {
        let xhat = (xs[base + j] - mean) * rstd;
        result[base + j] = rstd * (dys[base + j] * gs[j] - m1 - xhat * m2);
      }
    }
  }`;
  return { p: program(`norm_grad_x_${center}`, ['dys', 'xs', 'st', 'gs'], x.shape, rows(x), '', code), u: [] };
}

/**
 * Column sums over the N rows: Σ dy·xhat (the scale's gradient) or Σ dy (the bias's; give it dy alone), [d].
 * One workgroup per column, its threads striding over the rows (a thread per column left the GPU mostly idle).
 */
function normGradParam(dy: tf.TensorInfo, which: 'scale' | 'bias') {
  const term = which === 'scale' ? 'dys[i * d + j] * ((xs[i * d + j] - st[i * 2]) * st[i * 2 + 1])' : 'dys[i * d + j]';
  const code = `${ROW_SUM}
  fn main(index : i32) {
    let n = uniforms.dysShape[0];
    let d = uniforms.dysShape[1];
    let j = min(index / ${WG}, d - 1);
    let tid = i32(localId.x);
    var s = 0.0;
    for (var i = tid; i < n; i += ${WG}) { s += ${term}; }
    let total = rowSum(s);
    if (tid == 0 && index / ${WG} < d) { result[j] = total; }
  }`;
  return { p: program(`norm_grad_${which}`, which === 'scale' ? ['dys', 'xs', 'st'] : ['dys'], [cols(dy)], cols(dy), '', code), u: [] };
}

/** The start of both cross-entropy kernels: one row of zs per workgroup, its max m and Σ exp(z − m) as s. */
const CE_ROW = `    let n = uniforms.zsShape[0];
    let v = uniforms.zsShape[1];
    let row = min(index / ${WG}, n - 1);
    let tid = i32(localId.x);
    let base = row * v;
    var mx = -3.402823e+38;
    for (var j = tid; j < v; j += ${WG}) { mx = max(mx, zs[base + j]); }
    let m = rowMax(mx);
    var s = 0.0;
    for (var j = tid; j < v; j += ${WG}) { s += exp(zs[base + j] - m); }`;

/** −log softmax(z)[t] per row of z [N, V] with targets t [N] (int32). */
function crossEntropyRows(z: tf.TensorInfo) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
${CE_ROW}
    let lse = m + log(rowSum(s));
    if (tid == 0 && index / ${WG} < n) { result[row] = lse - zs[base + ts[row]]; }
  }`;
  return { p: program('ce_rows', ['zs', 'ts'], [rows(z)], rows(z), '', code), u: [] };
}

/** (softmax(z) − onehot(t))·w per row, w [N] the weight of each row's loss times the upstream gradient. */
function crossEntropyGrad(z: tf.TensorInfo) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
${CE_ROW}
    let total = rowSum(s);
    let w = ws[row];
    let t = ts[row];
    if (index / ${WG} < n) {
      for (var j = tid; j < v; j += ${WG}) {
        result[base + j] = (exp(zs[base + j] - m) / total - select(0.0, 1.0, j == t)) * w;
      }
    }
  }`;
  return { p: program('ce_grad', ['zs', 'ts', 'ws'], z.shape, rows(z), '', code), u: [] };
}

/**
 * softmax(s·scale + bias) over the last axis of attention scores s [B*H*T, Tk], bias [Bb, 1, T, Tk] with Bb 1 or B
 * (causal and padding, 0 or −1e9), one row per workgroup: three passes over the row instead of three tfjs ops.
 */
function attnSoftmax(s: tf.TensorInfo, bias: tf.TensorInfo, heads: number, scale: number) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
    let n = uniforms.ssShape[0];
    let tk = uniforms.ssShape[1];
    let t = uniforms.biasShape[2];
    let row = min(index / ${WG}, n - 1);
    let tid = i32(localId.x);
    let i = row % t;
    let b = select(row / t / uniforms.heads, 0, uniforms.biasShape[0] == 1);
    let base = row * tk;
    let bb = (b * t + i) * tk;
    var mx = -3.402823e+38;
    for (var j = tid; j < tk; j += ${WG}) { mx = max(mx, ss[base + j] * uniforms.scale + bias[bb + j]); }
    let m = rowMax(mx);
    var z = 0.0;
    for (var j = tid; j < tk; j += ${WG}) { z += exp(ss[base + j] * uniforms.scale + bias[bb + j] - m); }
    let total = rowSum(z);
    if (index / ${WG} < n) {
      for (var j = tid; j < tk; j += ${WG}) { result[base + j] = exp(ss[base + j] * uniforms.scale + bias[bb + j] - m) / total; }
    }
  }`;
  return { p: program('attn_softmax', ['ss', 'bias'], s.shape, rows(s), 'scale : f32, heads : i32,', code), u: [{ type: 'float32', data: [scale] }, { type: 'int32', data: [heads] }] as Uniform[] };
}

/** The gradient of attnSoftmax for its scores: scale·y·(dy − Σ dy·y) per row, [B*H*T, Tk]. */
function attnSoftmaxGrad(y: tf.TensorInfo, scale: number) {
  const code = `${ROW_SUM}
  fn main(index : i32) {
    let n = uniforms.ysShape[0];
    let tk = uniforms.ysShape[1];
    let row = min(index / ${WG}, n - 1);
    let tid = i32(localId.x);
    let base = row * tk;
    var s = 0.0;
    for (var j = tid; j < tk; j += ${WG}) { s += dys[base + j] * ys[base + j]; }
    let total = rowSum(s);
    if (index / ${WG} < n) {
      for (var j = tid; j < tk; j += ${WG}) { result[base + j] = (dys[base + j] - total) * ys[base + j] * uniforms.scale; }
    }
  }`;
  return { p: program('attn_softmax_grad', ['dys', 'ys'], y.shape, rows(y), 'scale : f32,', code), u: [{ type: 'float32', data: [scale] }] as Uniform[] };
}

/** x·sigmoid(1.702x) elementwise over x [n], or (with dy) its gradient dy·(s + 1.702·x·s·(1 − s)), s = sigmoid(1.702x). */
function gelu(x: tf.TensorInfo, grad: boolean) {
  const code = `
  fn main(i : i32) {
    if (i < uniforms.xsShape) {
      let x = xs[i];
      let s = 1.0 / (1.0 + exp(-1.0 * (x * 1.702)));
      result[i] = ${grad ? 'dys[i] * (s + x * 1.702 * s * (1.0 - s))' : 'x * s'};
    }
  }`;
  return { p: program(`gelu_${grad}`, grad ? ['dys', 'xs'] : ['xs'], x.shape, elementwise(x.shape.reduce((a, b) => a * b, 1)), '', code), u: [] };
}

/**
 * Rotary embedding of x [N, heads, dim] with tables cos, sin [N, 1, dim]: x·cos + rotate_half(x)·sin, or (grad)
 * its transpose applied to dy: dy·cos + rotate_half(dy·sin)ᵀ, where rotate_half(x) = (−x₂, x₁).
 */
function rope(x: tf.TensorInfo, grad: boolean) {
  const rot = grad ? 'select(-xs[ii] * sn[cc], xs[ii] * sn[cc], j < half)' : 'select(xs[ii], -xs[ii], j < half) * sn[c]';
  const code = `
  fn main(i : i32) {
    let heads = uniforms.xsShape[1];
    let dim = uniforms.xsShape[2];
    if (i < uniforms.xsShape[0] * heads * dim) {
      let half = dim / 2;
      let n = i / (heads * dim);
      let j = i % dim;
      let c = n * dim + j;
      // the element of the other half that rotate_half pairs with this one
      let ii = select(i - half, i + half, j < half);
      let cc = select(c - half, c + half, j < half);
      result[i] = xs[i] * cs[c] + ${rot};
    }
  }`;
  return { p: program(`rope_${grad}`, ['xs', 'cs', 'sn'], x.shape, elementwise(x.shape.reduce((a, b) => a * b, 1)), '', code), u: [] };
}

export interface AdamWScalars {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  bc1: number;
  bc2: number;
  /** gradient clipping factor (1: none) */
  scale: number;
  /** lr · weight_decay */
  lrwd: number;
}

/**
 * One output of the AdamW update over flat vectors [n]: the parameters (inputs p, g, m, v, mask), the first moment
 * (g, m) or the second (g, v); the same arithmetic in the same order as the unfused update in train/optim.ts.
 */
function adamW(g: tf.TensorInfo, which: 'p' | 'm' | 'v', s: AdamWScalars) {
  const m = 'ms[i] * uniforms.beta1 + g * (1.0 - uniforms.beta1)';
  const v = 'vs[i] * uniforms.beta2 + g * g * (1.0 - uniforms.beta2)';
  const out = {
    p: `ps[i] - (${m}) / uniforms.bc1 / (sqrt((${v}) / uniforms.bc2) + uniforms.eps) * uniforms.lr - ps[i] * uniforms.lrwd * dmask[i]`,
    m,
    v,
  }[which];
  const code = `
  fn main(i : i32) {
    if (i < uniforms.gradsShape) {
      let g = grads[i] * uniforms.scale;
      result[i] = ${out};
    }
  }`;
  const names = ['lr', 'beta1', 'beta2', 'eps', 'bc1', 'bc2', 'scale', 'lrwd'] as const;
  const vars = { p: ['ps', 'grads', 'ms', 'vs', 'dmask'], m: ['grads', 'ms'], v: ['grads', 'vs'] }[which];
  return {
    p: program(`adamw_${which}`, vars, g.shape, elementwise(g.shape[0]), names.map((k) => `${k} : f32,`).join(' '), code),
    u: names.map((k) => ({ type: 'float32', data: [s[k]] })) as Uniform[],
  };
}

type Built = { p: Program; u: Uniform[] };
const KERNELS: Record<string, (inputs: tf.TensorInfo[], attrs: Record<string, unknown>) => Built> = {
  RepriseNormStats: ([x], a) => normStats(x, a.eps as number, a.center as boolean),
  RepriseNormApply: ([x], a) => normApply(x, a.bias as boolean),
  RepriseNormGradX: ([, x], a) => normGradX(x, a.center as boolean),
  RepriseNormGradParam: ([dy], a) => normGradParam(dy, a.which as 'scale' | 'bias'),
  RepriseCrossEntropyRows: ([z]) => crossEntropyRows(z),
  RepriseCrossEntropyGrad: ([z]) => crossEntropyGrad(z),
  RepriseAttnSoftmax: ([sc, bias], a) => attnSoftmax(sc, bias, a.heads as number, a.scale as number),
  RepriseAttnSoftmaxGrad: ([, y], a) => attnSoftmaxGrad(y, a.scale as number),
  RepriseGelu: ([x]) => gelu(x, false),
  RepriseGeluGrad: ([, x]) => gelu(x, true),
  RepriseRope: ([x]) => rope(x, false),
  RepriseRopeGrad: ([x]) => rope(x, true),
  RepriseAdamW: (ins, a) => adamW(ins[a.which === 'p' ? 1 : 0], a.which as 'p' | 'm' | 'v', a as unknown as AdamWScalars),
};
// the order of each kernel's inputs, as the programs' variableNames expect them
const INPUTS: Record<string, string[]> = {
  RepriseNormStats: ['x'],
  RepriseNormApply: ['x', 'stats', 'g', 'b'],
  RepriseNormGradX: ['dy', 'x', 'stats', 'g'],
  RepriseNormGradParam: ['dy', 'x', 'stats'],
  RepriseCrossEntropyRows: ['z', 't'],
  RepriseCrossEntropyGrad: ['z', 't', 'w'],
  RepriseAttnSoftmax: ['s', 'bias'],
  RepriseAttnSoftmaxGrad: ['dy', 'y'],
  RepriseGelu: ['x'],
  RepriseGeluGrad: ['dy', 'x'],
  RepriseRope: ['x', 'cos', 'sin'],
  RepriseRopeGrad: ['x', 'cos', 'sin'],
  RepriseAdamW: ['p', 'g', 'm', 'v', 'mask'],
};

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  for (const [name, build] of Object.entries(KERNELS)) {
    tf.registerKernel({
      kernelName: name,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const ins = INPUTS[name].map((k) => (inputs as Record<string, tf.TensorInfo>)[k]).filter((t) => t !== undefined);
        const { p, u } = build(ins, attrs as Record<string, unknown>);
        return (backend as unknown as WebGpuBackend).runWebGPUProgram(p, ins, 'float32', u);
      },
    });
  }
}

/** Runs one of the kernels above on the current (webgpu) backend. */
export function runFused(name: keyof typeof KERNELS, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor {
  register();
  for (const [k, t] of Object.entries(inputs)) if (t.isDisposed) throw new Error(`${name}: input ${k} is disposed`);
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as never) as tf.Tensor;
}
