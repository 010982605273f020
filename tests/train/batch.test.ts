import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { packBatch } from '../../src/train/batch.js';
import { maskedCrossEntropy } from '../../src/train/losses.js';
import { initBackend } from '../../src/model/backend.js';
import { CharTokenizer, DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('loss masking', () => {
  it('puts the mask on completion targets only, and none on padding', () => {
    const b = packBatch([{ prompt: [1, 4, 5], completion: [6, 2] }, { prompt: [1, 4], completion: [7, 8, 2] }], 0, 16);
    expect(b.T).toBe(4);
    // row 0: inputs 1 4 5 6 → targets 4 5 6 2; the completion targets are 6 and 2
    expect(Array.from(b.targets.slice(0, 4))).toEqual([4, 5, 6, 2]);
    expect(Array.from(b.mask.slice(0, 4))).toEqual([0, 0, 1, 1]);
    // row 1: inputs 1 4 7 8 → targets 4 7 8 2
    expect(Array.from(b.mask.slice(4, 8))).toEqual([0, 1, 1, 1]);
  });

  it('masks the user turn of a chat: only the assistant reply is learned', () => {
    const tok = new CharTokenizer({ kind: 'char', chars: '0123456789+', specials: DEFAULT_SPECIALS });
    const ex = tok.encodeChat([{ role: 'user', content: '1+2' }, { role: 'assistant', content: '<answer>3</answer>' }]);
    const b = packBatch([ex], tok.pad, 64);
    const learned = Array.from(b.targets).filter((_, i) => b.mask[i]);
    expect(tok.decode(learned, { stopAtEos: false })).toBe('<answer>3</answer><eos>');
    expect(learned[learned.length - 1]).toBe(tok.eos);
  });

  it('ignores the logits at masked positions entirely', () => {
    const targets = tf.tensor1d([0, 1], 'int32');
    const mask = tf.tensor1d([0, 1]);
    const a = tf.tensor2d([[9, -9], [0, 0]]);
    const b = tf.tensor2d([[-9, 9], [0, 0]]);
    const la = maskedCrossEntropy(a, targets, mask).dataSync()[0];
    const lb = maskedCrossEntropy(b, targets, mask).dataSync()[0];
    expect(la).toBeCloseTo(Math.log(2), 6);
    expect(lb).toBe(la);
  });

  it('refuses a sequence longer than the context', () => {
    expect(() => packBatch([{ prompt: [1, 2, 3], completion: [4, 5] }], 0, 3)).toThrow(/expected shape length <= 4 tokens/);
  });
});
