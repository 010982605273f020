// Exact rational arithmetic (BigInt) for expressions made only of integers, + − × ÷, integer powers, factorials
// and binomials: 2^1000 and 2^1000 + 1 differ, and so do 1/2004! and 1/2006!, where floats cannot tell.

import type { MathNode } from 'mathjs';

export interface Q {
  n: bigint;
  d: bigint;
}

/** Bounds that keep one evaluation to milliseconds. */
const MAX_BITS = 200_000;
const MAX_FACTORIAL = 3000;

class NotExact extends Error {}
/** Exact in principle, but past the bounds: a float must not decide it either. */
class TooLarge extends NotExact {}

const abs = (x: bigint) => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}
function q(n: bigint, d: bigint = 1n): Q {
  if (d === 0n) throw new NotExact();
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  const r = { n: n / g, d: d / g };
  if (bits(r.n) + bits(r.d) > MAX_BITS) throw new TooLarge();
  return r;
}
const bits = (x: bigint) => abs(x).toString(16).length * 4;

function factorial(k: bigint): bigint {
  if (k < 0n) throw new NotExact();
  if (k > BigInt(MAX_FACTORIAL)) throw new TooLarge();
  let r = 1n;
  for (let i = 2n; i <= k; i++) r *= i;
  return r;
}

function pow(a: Q, e: Q): Q {
  if (e.d !== 1n) throw new NotExact();
  if (a.d === 1n && abs(a.n) === 1n) return q(e.n % 2n === 0n ? 1n : a.n);
  if (abs(e.n) > 100_000n) throw new TooLarge();
  if (bits(a.n) * Number(abs(e.n)) > MAX_BITS * 4 || bits(a.d) * Number(abs(e.n)) > MAX_BITS * 4) throw new TooLarge();
  const k = abs(e.n);
  const r = q(a.n ** k, a.d ** k);
  return e.n < 0n ? q(r.d, r.n) : r;
}

const int = (x: Q): bigint => {
  if (x.d !== 1n) throw new NotExact();
  return x.n;
};

function ev(node: MathNode): Q {
  const n = node as unknown as { type: string; value?: unknown; op?: string; fn?: string | { name: string }; args?: MathNode[]; content?: MathNode };
  switch (n.type) {
    case 'ConstantNode': {
      const v = n.value as { toFixed?: () => string } | number;
      const s = typeof v === 'object' && v && typeof v.toFixed === 'function' ? v.toFixed() : String(v);
      const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
      if (!m) throw new NotExact();
      const frac = m[2] ?? '';
      return q(BigInt(m[1] + frac), 10n ** BigInt(frac.length));
    }
    case 'ParenthesisNode':
      return ev(n.content!);
    case 'OperatorNode': {
      const a = n.args!.map(ev);
      const f = typeof n.fn === 'string' ? n.fn : n.fn?.name;
      if (f === 'unaryMinus') return q(-a[0].n, a[0].d);
      if (f === 'unaryPlus') return a[0];
      if (f === 'add') return q(a[0].n * a[1].d + a[1].n * a[0].d, a[0].d * a[1].d);
      if (f === 'subtract') return q(a[0].n * a[1].d - a[1].n * a[0].d, a[0].d * a[1].d);
      if (f === 'multiply') return q(a[0].n * a[1].n, a[0].d * a[1].d);
      if (f === 'divide') return q(a[0].n * a[1].d, a[0].d * a[1].n);
      if (f === 'pow') return pow(a[0], a[1]);
      if (f === 'factorial') return q(factorial(int(a[0])));
      throw new NotExact();
    }
    case 'FunctionNode': {
      const f = typeof n.fn === 'string' ? n.fn : n.fn?.name;
      const a = n.args!.map(ev);
      if (f === 'factorial' && a.length === 1) return q(factorial(int(a[0])));
      if (f === 'combinations' && a.length === 2) {
        const [m, k] = [int(a[0]), int(a[1])];
        if (k < 0n || k > m) return q(0n);
        return q(factorial(m), factorial(k) * factorial(m - k));
      }
      throw new NotExact();
    }
    default:
      throw new NotExact();
  }
}

/** The exact value of an integer-only expression; 'too_large' past the bounds; null when it has anything else. */
export function exactValue(node: MathNode): Q | 'too_large' | null {
  try {
    return ev(node);
  } catch (e) {
    if (e instanceof TooLarge || e instanceof RangeError) return 'too_large';
    if (e instanceof NotExact) return null;
    throw e;
  }
}
