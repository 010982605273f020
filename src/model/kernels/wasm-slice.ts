// Slice for the wasm backend reading the input in place: the stock kernel first copies the whole input out of the
// wasm heap (readSync), so splitting AdamW's flat buffer into ~50 parameters copied it ~50 times per split.
// Pure data movement: results are identical to the stock kernel's.

import * as tf from '@tensorflow/tfjs';

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** x[begin : begin + size] on the heap; one row copy per run of contiguous elements. */
function slice(be: WasmBackend, x: tf.TensorInfo, begin: number[], s: number[]): tf.TensorInfo {
  const b = begin;
  const out = be.makeOutput(s, x.dtype);
  const xv = be.typedArrayFromHeap(x);
  const ov = be.typedArrayFromHeap(out);
  if (ov.length === 0) return out;
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  // the innermost run of contiguous elements: trailing axes taken whole, plus the first partial one
  let axis = rank - 1;
  while (axis > 0 && b[axis] === 0 && s[axis] === x.shape[axis]) axis--;
  const run = axis === rank - 1 ? s[rank - 1] : s[axis] * strides[axis];
  const rows = ov.length / run;
  const idx = new Array<number>(axis).fill(0);
  for (let r = 0; r < rows; r++) {
    let off = b[axis] * (axis < rank - 1 ? strides[axis] : 1);
    for (let i = 0; i < axis; i++) off += (b[i] + idx[i]) * strides[i];
    ov.set(xv.subarray(off, off + run), r * run);
    for (let i = axis - 1; i >= 0; i--) {
      if (++idx[i] < s[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

let registered = false;

/** Slice and SplitV (whose stock kernel calls the stock slice directly) on wasm. */
export function registerWasmSlice(): void {
  if (registered) return;
  const stock = tf.getKernel('Slice', 'wasm');
  const stockSplit = tf.getKernel('SplitV', 'wasm');
  if (!stock || !stockSplit) throw new Error('the wasm backend has no Slice or SplitV kernel to replace');
  registered = true;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string' || x.shape.length === 0) return stock.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      return slice(args.backend as unknown as WasmBackend, x, b, s);
    },
  });
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    setupFunc: stockSplit.setupFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stockSplit.kernelFunc(args);
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
      const ax = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((n) => {
        const size = [...x.shape];
        size[ax] = n;
        const out = slice(args.backend as unknown as WasmBackend, x, [...begin], size);
        begin[ax] += n;
        return out;
      });
    },
  });
}
