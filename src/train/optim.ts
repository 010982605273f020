// AdamW with global-norm gradient clipping, whose state is plain named tensors so checkpoints can hold it.

import * as tf from '@tensorflow/tfjs';
import { variableFrom, type Params } from '../model/gpt.js';
import { scalar } from '../model/kernels/scalars.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip: number;
  /** "sgd" is plain SGD with momentum beta1 (no second moment): the update is proportional to the gradient. */
  kind?: 'adamw' | 'sgd';
}

export class AdamW {
  step = 0;
  readonly m: Record<string, tf.Variable> = {};
  readonly v: Record<string, tf.Variable> = {};

  constructor(private readonly params: Params, private readonly cfg: AdamWConfig) {
    for (const [k, p] of Object.entries(params)) {
      this.m[k] = variableFrom(tf.zerosLike(p), false);
      this.v[k] = variableFrom(tf.zerosLike(p), false);
    }
  }

  /**
   * Applies one update from gradients keyed by variable name (as tf.variableGrads returns them);
   * returns the gradients' global norm before clipping. A non-finite norm is returned without any update.
   */
  async apply(byVariable: Record<string, tf.Tensor>, lr: number): Promise<number> {
    this.step++;
    const { beta1, beta2, eps, weight_decay, grad_clip } = this.cfg;
    const grads: Record<string, tf.Tensor> = {};
    for (const [k, p] of Object.entries(this.params)) if (byVariable[p.name]) grads[k] = byVariable[p.name];
    const names = Object.keys(grads);
    if (!names.length) throw new Error('AdamW.apply: no gradient matches a parameter of this model');
    // read asynchronously (webgpu in Node has no synchronous read); stack, not addN: a webgpu AddN takes at most
    // maxStorageBuffersPerShaderStage - 1 inputs, where concat splits
    const normT = tf.tidy(() => tf.sqrt(tf.sum(tf.stack(names.map((k) => tf.sum(tf.square(grads[k])))))));
    const norm = (await normT.data())[0];
    normT.dispose();
    if (!Number.isFinite(norm)) return norm;
    const scale = grad_clip > 0 && norm > grad_clip ? grad_clip / norm : 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      // each inline number would be a fresh tensor (a buffer upload on webgpu) per parameter: make them once
      const [lrT, decayT, bc1T, bc2T, scaleT] = [lr, lr * weight_decay, bc1, bc2, scale].map((x) => tf.scalar(x));
      const [b1, b2, c1, c2, epsT] = [beta1, beta2, 1 - beta1, 1 - beta2, eps].map(scalar);
      for (const k of names) {
        const p = this.params[k];
        const g = scale === 1 ? grads[k] : grads[k].mul(scaleT);
        // decay only matrices (rank >= 2), as is usual for transformers
        const decay = p.rank >= 2 && weight_decay > 0 ? p.mul(decayT) : scalar(0);
        if (this.cfg.kind === 'sgd') {
          const m = beta1 > 0 ? this.m[k].mul(b1).add(g) : g;
          if (beta1 > 0) this.m[k].assign(m);
          p.assign(p.sub(m.mul(lrT)).sub(decay));
          continue;
        }
        const m = this.m[k].mul(b1).add(g.mul(c1));
        const v = this.v[k].mul(b2).add(g.square().mul(c2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        const upd = m.div(bc1T).div(v.div(bc2T).sqrt().add(epsT)).mul(lrT);
        p.assign(p.sub(upd).sub(decay));
      }
    });
    return norm;
  }

  /** False when any parameter holds a NaN or an infinity (x - x is 0 only for finite x). */
  async paramsFinite(): Promise<boolean> {
    const t = tf.tidy(() => tf.sum(tf.stack(Object.values(this.params).map((p) => tf.sum(p.sub(p))))));
    const v = (await t.data())[0];
    t.dispose();
    return Number.isFinite(v);
  }

  tensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const k of Object.keys(this.m)) {
      out[`m.${k}`] = this.m[k];
      out[`v.${k}`] = this.v[k];
    }
    return out;
  }

  load(tensors: Record<string, tf.Tensor>, step: number): void {
    for (const k of Object.keys(this.m)) {
      if (tensors[`m.${k}`]) this.m[k].assign(tensors[`m.${k}`]);
      if (tensors[`v.${k}`]) this.v[k].assign(tensors[`v.${k}`]);
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}
