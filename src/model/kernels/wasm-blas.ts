// BatchMatMul (and Sum over leading axes) for the wasm backend through the machine's OpenBLAS: cblas_sgemm called
// through koffi with pointers straight into the wasm heap (no copies). XNNPACK reaches 19–30 GFLOP/s on one thread;
// OpenBLAS 300+ on two. Broadcast batch shapes other than "equal" or "one side is 1" go to the stock kernel.
// Results are deterministic for a given OpenBLAS build and thread count, but differ in the last bits from XNNPACK's.

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

type Sgemm = (order: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number) => void;

export interface Blas {
  library: string;
  threads: number;
  sgemm: Sgemm;
}

const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/openblas-openmp/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
  '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
  '/usr/local/opt/openblas/lib/libopenblas.dylib',
];

let loaded: Blas | string | undefined;

/** OpenBLAS loaded once per process (REPRISE_BLAS names the library file), or why it could not be; the first call's
 * thread count holds for the process. */
export function loadBlas(threads: number): Blas | string {
  if (loaded !== undefined) return loaded;
  const path = process.env.REPRISE_BLAS || CANDIDATES.find((p) => existsSync(p));
  if (!path) return (loaded = `no OpenBLAS library found (looked in ${CANDIDATES.slice(0, 2).join(', ')}, …; REPRISE_BLAS names one)`);
  // idle OpenMP workers must sleep, not spin: the JS thread runs the other ops in between
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (e) {
    return (loaded = `the package "koffi" could not be loaded (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const lib = koffi.load(path);
    const sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, void *, int, void *, int, float, void *, int)') as unknown as Sgemm;
    const setThreads = lib.func('void openblas_set_num_threads(int)') as unknown as (n: number) => void;
    setThreads(threads);
    return (loaded = { library: path, threads, sgemm });
  } catch (e) {
    return (loaded = `${path} could not be used (${(e as Error).message.split('\n')[0]})`);
  }
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

const size = (s: readonly number[]) => s.reduce((a, c) => a * c, 1);

const stock = new Map<string, tf.KernelConfig>();
let active: Blas | null = null;

/** The OpenBLAS in use for wasm's matmuls, or null (XNNPACK). */
export function activeBlas(): Blas | null {
  return active;
}

/** Routes wasm's BatchMatMul and leading-axis Sum through `blas`, or back to the stock kernels with null. */
export function useBlasMatMul(blas: Blas | null): void {
  if (blas === active) return;
  for (const name of ['BatchMatMul', 'Sum']) {
    if (!stock.has(name)) stock.set(name, tf.getKernel(name, 'wasm') ?? missing(name));
    tf.unregisterKernel(name, 'wasm');
    if (!blas) tf.registerKernel(stock.get(name)!);
  }
  active = blas;
  if (!blas) return;
  tf.registerKernel(sumKernel(blas, stock.get('Sum')!));
  const fallback = stock.get('BatchMatMul')!;
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    // the stock kernel, called for the shapes this one leaves, binds its wasm function here
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const ra = a.shape.length;
      const rb = b.shape.length;
      const batchA = size(a.shape.slice(0, -2));
      const batchB = size(b.shape.slice(0, -2));
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return fallback.kernelFunc(args);
      const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      if (K !== Kb) throw new Error(`Error in matMul: inner shapes (${K}) and (${Kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
      const outer = batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
      const batch = Math.max(batchA, batchB);
      const backend = args.backend as unknown as WasmBackend;
      const out = backend.makeOutput([...outer, M, N], 'float32');
      // views after makeOutput: allocating may grow the heap and detach older views
      const av = backend.typedArrayFromHeap(a);
      const bv = backend.typedArrayFromHeap(b);
      const cv = backend.typedArrayFromHeap(out);
      if (K === 0) {
        cv.fill(0);
        return out;
      }
      const ta = transposeA ? TRANS : NO_TRANS;
      const tb = transposeB ? TRANS : NO_TRANS;
      const lda = transposeA ? M : K;
      const ldb = transposeB ? K : N;
      if (batch === 1 || (batchB === 1 && !transposeA)) {
        // a's batch rows stacked: one [batch*M, K] @ [K, N]
        blas.sgemm(ROW_MAJOR, ta, tb, batch * M, N, K, 1, av, lda, bv, ldb, 0, cv, N);
        return out;
      }
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? av : av.subarray(i * M * K, (i + 1) * M * K);
        const bi = batchB === 1 ? bv : bv.subarray(i * K * N, (i + 1) * K * N);
        blas.sgemm(ROW_MAJOR, ta, tb, M, N, K, 1, ai, lda, bi, ldb, 0, cv.subarray(i * M * N, (i + 1) * M * N), N);
      }
      return out;
    },
  });
}

function missing(name: string): never {
  throw new Error(`the wasm backend has no ${name} kernel to replace`);
}

let ones = new Float32Array(0);

/** Sum over leading axes (bias and norm gradients: [N, d] → [d]) as onesᵀ·X in one sgemm; the stock kernel
 * transposes first. Other reductions go to the stock kernel. */
function sumKernel(blas: Blas, fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const k = axes.length;
      if (x.dtype !== 'float32' || k === 0 || k === x.shape.length || axes.some((a, i) => a !== i)) return fallback.kernelFunc(args);
      const rows = size(x.shape.slice(0, k));
      const inner = size(x.shape.slice(k));
      const be = args.backend as unknown as WasmBackend;
      const out = be.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k), 'float32');
      const xv = be.typedArrayFromHeap(x);
      const ov = be.typedArrayFromHeap(out);
      if (rows === 0) {
        ov.fill(0);
        return out;
      }
      if (ones.length < rows) ones = new Float32Array(rows).fill(1);
      blas.sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, 1, inner, rows, 1, ones, rows, xv, inner, 0, ov, inner);
      return out;
    },
  };
}
