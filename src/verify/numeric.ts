// Numeric and symbolic equality of two expressions on mathjs: exact constants in floats (64-digit BigNumbers
// when floats underflow or overflow), free variables by evaluation at seeded random points, then simplify.
// Every loop checks a deadline; work that could not finish in time throws Undecided (counted as "unknown").

import { all, create, type MathNode, type EvalFunction } from 'mathjs';
import { exactValue, type Q } from './exact.js';
import { ConvertError, latexToMath } from './tomath.js';

const math = create(all, {});
const big = create(all, { number: 'BigNumber', precision: 64 });

/** The check could not be decided: out of time, too large, or no point where both sides are defined. */
export class Undecided extends Error {
  constructor(readonly why: 'timeout' | 'too_large' | 'undefined') {
    super(why);
  }
}

export class Budget {
  constructor(readonly deadline: number) {}
  check(): void {
    if (performance.now() > this.deadline) throw new Undecided('timeout');
  }
}

export interface Expr {
  math: string;
  node: MathNode;
  fn: EvalFunction;
  symbols: string[];
  size: number;
  /** A factorial or binomial of an argument beyond any evaluator's reach: such checks are undecided. */
  huge: boolean;
  /** The tree parsed with BigNumber constants, when a literal has more digits than a float keeps (else null). */
  exactNode: MathNode | null;
}

/** More significant digits than a double holds: such a literal is compared exactly or not at all. */
const LONG_LITERAL = /\d{16,}/;

const COUNTING = new Set(['factorial', 'combinations', 'permutations', 'gamma']);

const CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity']);
const MAX_NODES = 400;
const MAX_BIG_FACTORIAL = 3000;
const cache = new Map<string, Expr | null>();

/** The compiled expression for a LaTeX source, or null when it does not parse as math. */
export function compile(src: string): Expr | null {
  const hit = cache.get(src);
  if (hit !== undefined) return hit;
  let out: Expr | null = null;
  try {
    const m = latexToMath(src);
    if (m.trim() === '') throw new ConvertError('empty');
    const node = math.parse(m);
    const symbols = new Set<string>();
    let size = 0;
    let huge = false;
    node.traverse((n, _path, parent) => {
      size++;
      if ((n as { isSymbolNode?: boolean }).isSymbolNode && !((parent as { isFunctionNode?: boolean } | null)?.isFunctionNode && (parent as unknown as { fn: MathNode }).fn === n)) {
        const name = (n as unknown as { name: string }).name;
        if (!CONSTANTS.has(name)) symbols.add(name);
      }
      const f = n as unknown as { fn?: string | { name?: string }; args?: MathNode[] };
      if (COUNTING.has(String(typeof f.fn === 'string' ? f.fn : f.fn?.name)) && f.args) {
        for (const a of f.args) {
          try {
            const v = a.evaluate() as unknown;
            if (typeof v === 'number' && Math.abs(v) > 1e5) huge = true;
          } catch {
            // an argument with free variables is evaluated later, at small random points
          }
        }
      }
    });
    if (size > MAX_NODES) throw new Undecided('too_large');
    if (node.type === 'AssignmentNode' || node.type === 'FunctionAssignmentNode') throw new ConvertError('assignment');
    const exactNode = LONG_LITERAL.test(m) ? big.parse(m) : null;
    out = { math: m, node, fn: node.compile(), symbols: [...symbols].sort(), size, huge, exactNode };
  } catch (e) {
    if (e instanceof Undecided) throw e;
    out = null;
  }
  if (cache.size > 20000) cache.clear();
  cache.set(src, out);
  return out;
}

interface C {
  re: number;
  im: number;
}

function toC(v: unknown): C | null {
  if (typeof v === 'number') return { re: v, im: 0 };
  if (typeof v === 'boolean') return null;
  if (v && typeof v === 'object') {
    const o = v as { re?: number; im?: number; toNumber?: () => number };
    if (typeof o.re === 'number' && typeof o.im === 'number') return { re: o.re, im: o.im };
    if (typeof o.toNumber === 'function') return { re: o.toNumber(), im: 0 };
  }
  return null;
}

function evalC(e: Expr, scope: Record<string, number>): C | null {
  try {
    return toC(e.fn.evaluate({ ...scope }));
  } catch {
    return null;
  }
}

const finite = (c: C | null): c is C => c !== null && Number.isFinite(c.re) && Number.isFinite(c.im);
const normal = (c: C) => Math.hypot(c.re, c.im) > 1e-280 && Math.hypot(c.re, c.im) < 1e280;

export function closeC(a: C, b: C, relTol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  return d <= relTol * Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im)) || d === 0;
}

/** Equality of two expressions without free variables; values too small or large for floats go to BigNumbers. */
export function constantsEqual(g: Expr, p: Expr, relTol: number, budget: Budget): boolean {
  if (g.huge || p.huge) throw new Undecided('too_large');
  const ea = exactValue(g.exactNode ?? g.node);
  const eb = exactValue(p.exactNode ?? p.node);
  if (ea === 'too_large' || eb === 'too_large') throw new Undecided('too_large');
  // the tolerance is for decimals (0.333333333 for 1/3); fractions and integers written exactly compare exactly
  if (ea && eb) return exactClose(ea, eb, /\./.test(g.math + p.math) ? relTol : 0);
  // a float would round a 16+ digit literal (and Infinity would equal Infinity): exactly, or undecided
  if (g.exactNode || p.exactNode) throw new Undecided('too_large');
  const a = evalC(g, {});
  const b = evalC(p, {});
  if (finite(a) && finite(b) && normal(a) && normal(b)) return closeC(a, b, relTol);
  budget.check();
  const ba = bigValue(g);
  const bb = bigValue(p);
  if (ba !== null && bb !== null) {
    if (ba.isNaN() || bb.isNaN()) throw new Undecided('undefined');
    if (!ba.isFinite() || !bb.isFinite()) return false;
    const d = ba.minus(bb).abs();
    const scale = ba.abs().gt(bb.abs()) ? ba.abs() : bb.abs();
    return d.isZero() || d.lte(scale.times(relTol));
  }
  if (finite(a) && finite(b)) return a.re === b.re && a.im === b.im;
  if (a && b && !Number.isNaN(a.re) && !Number.isNaN(b.re)) return false;
  throw new Undecided('undefined');
}

/** The decimal.js methods used on mathjs BigNumbers. */
interface Big {
  isNaN(): boolean;
  isFinite(): boolean;
  isZero(): boolean;
  eq(x: Big): boolean;
  gt(x: Big): boolean;
  lte(x: Big): boolean;
  minus(x: Big): Big;
  times(x: number): Big;
  abs(): Big;
}

function bigValue(e: Expr): Big | null {
  let tooBig = false;
  e.node.traverse((n) => {
    const f = n as unknown as { fn?: string | { name?: string }; args?: MathNode[] };
    const name = typeof f.fn === 'string' ? f.fn : f.fn?.name;
    if ((name === 'factorial' || name === 'combinations' || name === 'gamma') && f.args) {
      for (const a of f.args) {
        const v = evalC({ ...e, fn: a.compile() }, {});
        if (!v || !Number.isFinite(v.re) || Math.abs(v.re) > MAX_BIG_FACTORIAL) tooBig = true;
      }
    }
  });
  if (tooBig) throw new Undecided('too_large');
  try {
    const v = big.evaluate(e.math) as unknown;
    return big.isBigNumber(v) ? (v as unknown as Big) : null;
  } catch {
    return null;
  }
}

/** Deterministic points for the random-point test (mulberry32), the same for every call. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRIALS = 12;
const NEEDED = 5;

/** Integers compare exactly; other rationals within the relative tolerance, computed exactly. */
export function exactClose(a: Q, b: Q, relTol: number): boolean {
  if (a.n === b.n && a.d === b.d) return true;
  if (a.d === 1n && b.d === 1n) return false;
  const tol = BigInt(Math.round(relTol * 1e18));
  const diff = (a.n * b.d - b.n * a.d) * 10n ** 18n;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const scale = abs(a.n * b.d) > abs(b.n * a.d) ? abs(a.n * b.d) : abs(b.n * a.d);
  return abs(diff) <= tol * scale;
}

/**
 * g and p agree at random points (mode 'equal'), or g/p is the same nonzero constant at every point ('ratio',
 * for equations a = b written with a common factor). Throws Undecided when too few points are defined.
 */
export function pointsAgree(g: Expr, p: Expr, relTol: number, budget: Budget, mode: 'equal' | 'ratio' = 'equal'): boolean {
  if (g.huge || p.huge || g.exactNode || p.exactNode) throw new Undecided('too_large');
  const vars = [...new Set([...g.symbols, ...p.symbols])];
  const next = rng(0x5eed);
  let valid = 0;
  let ratio: C | null = null;
  for (let t = 0; t < TRIALS && valid < NEEDED * 2; t++) {
    budget.check();
    const scope: Record<string, number> = {};
    for (const v of vars) scope[v] = (0.4 + 2.6 * next()) * (t % 3 === 2 ? -1 : 1);
    const a = evalC(g, scope);
    const b = evalC(p, scope);
    if (!finite(a) || !finite(b)) continue;
    valid++;
    if (mode === 'equal') {
      if (!closeC(a, b, Math.max(relTol, 1e-8)) && Math.hypot(a.re - b.re, a.im - b.im) > 1e-10) return false;
    } else {
      const den = b.re * b.re + b.im * b.im;
      if (den < 1e-18) continue;
      const q = { re: (a.re * b.re + a.im * b.im) / den, im: (a.im * b.re - a.re * b.im) / den };
      if (ratio === null) ratio = q;
      else if (!closeC(ratio, q, 1e-8)) return false;
    }
  }
  if (valid >= NEEDED) return mode === 'equal' || (ratio !== null && Math.hypot(ratio.re, ratio.im) > 1e-12);
  return simplifiedZero(g, p, budget);
}

/** Last resort when points are undefined: mathjs simplify of the difference, on small trees only. */
function simplifiedZero(g: Expr, p: Expr, budget: Budget): boolean {
  if (g.size + p.size > 60) throw new Undecided('undefined');
  budget.check();
  try {
    const d = math.simplify(new math.OperatorNode('-', 'subtract', [g.node, p.node]));
    if (d.type === 'ConstantNode') return Number((d as unknown as { value: unknown }).value) === 0;
  } catch {
    // simplify gives up on some inputs; that is "undecided", not unequal
  }
  throw new Undecided('undefined');
}
