// LayerNorm over the last axis as two wasm kernels written in JS over the heap (forward; backward giving dx, dg, db
// in one pass), for the `blas` backend: with tfjs ops each direction is ~10 kernels over the whole activation.
// Row statistics are accumulated in double precision, so values differ from kernels/norm.ts in the last bits.

import * as tf from '@tensorflow/tfjs';

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'RepriseLayerNorm',
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Args) => {
      const { x, g, b } = inputs as Record<string, tf.TensorInfo>;
      const { eps } = attrs as { eps: number };
      const be = backend as WasmBackend;
      const d = x.shape[x.shape.length - 1];
      const n = x.shape.reduce((a, c) => a * c, 1) / d;
      const y = be.makeOutput(x.shape, 'float32');
      const stats = be.makeOutput([n, 2], 'float32'); // mean, 1/std per row
      const [xv, gv, bv, yv, sv] = [x, g, b, y, stats].map((t) => be.typedArrayFromHeap(t));
      for (let r = 0, o = 0; r < n; r++, o += d) {
        let m = 0;
        for (let j = 0; j < d; j++) m += xv[o + j];
        m /= d;
        let v = 0;
        for (let j = 0; j < d; j++) v += (xv[o + j] - m) ** 2;
        const rs = 1 / Math.sqrt(v / d + eps);
        sv[2 * r] = m;
        sv[2 * r + 1] = rs;
        for (let j = 0; j < d; j++) yv[o + j] = (xv[o + j] - m) * rs * gv[j] + bv[j];
      }
      return [y, stats];
    }) as never,
  });
  tf.registerKernel({
    kernelName: 'RepriseLayerNormGrad',
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend }: Args) => {
      const { dy, x, g, stats } = inputs as Record<string, tf.TensorInfo>;
      const be = backend as WasmBackend;
      const d = x.shape[x.shape.length - 1];
      const n = x.shape.reduce((a, c) => a * c, 1) / d;
      const dx = be.makeOutput(x.shape, 'float32');
      const dg = be.makeOutput([d], 'float32');
      const db = be.makeOutput([d], 'float32');
      const [gy, xv, gv, sv, ox, og, ob] = [dy, x, g, stats, dx, dg, db].map((t) => be.typedArrayFromHeap(t));
      const accG = new Float64Array(d);
      const accB = new Float64Array(d);
      for (let r = 0, o = 0; r < n; r++, o += d) {
        const m = sv[2 * r];
        const rs = sv[2 * r + 1];
        let m1 = 0;
        let m2 = 0;
        for (let j = 0; j < d; j++) {
          const xh = (xv[o + j] - m) * rs;
          const dxh = gy[o + j] * gv[j];
          m1 += dxh;
          m2 += dxh * xh;
          accG[j] += gy[o + j] * xh;
          accB[j] += gy[o + j];
        }
        m1 /= d;
        m2 /= d;
        for (let j = 0; j < d; j++) ox[o + j] = rs * (gy[o + j] * gv[j] - m1 - (xv[o + j] - m) * rs * m2);
      }
      og.set(accG);
      ob.set(accB);
      return [dx, dg, db];
    }) as never,
  });
}

/** (x − mean) / sqrt(var + eps) · g + b over the last axis of x [..., d]; g, b [d]. */
export function layerNormKernel<T extends tf.Tensor>(x: T, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): T {
  register();
  if (!(tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn()) return (tf.engine().runKernel('RepriseLayerNorm', { x, g, b }, { eps }) as tf.Tensor[])[0] as T;
  const f = tf.customGrad(((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, stats] = tf.engine().runKernel('RepriseLayerNorm', { x: xi, g: gi, b: bi }, { eps }) as tf.Tensor[];
    save([xi, gi, stats]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [sx, sg, ss]: tf.Tensor[]) => tf.engine().runKernel('RepriseLayerNormGrad', { dy, x: sx, g: sg, stats: ss }, {}) as tf.Tensor[],
    };
  }) as never) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return f(x, g, b) as T;
}
