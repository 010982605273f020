// Answer equivalence, gold first and asymmetric as in Math-Verify: string match, then numeric (relative
// tolerance only, so 1/2004! and 1/2006! differ), then symbolic, then sets, tuples, intervals, relations, matrices.
// Every check is bounded by a deadline; one that runs out is "unknown" and counted, never a hang.

import { equalAnswers, type Ctx } from './compare.js';
import { cleanAnswer } from './latex.js';
import { exactClose, Budget, Undecided } from './numeric.js';
import { MAX_ANSWER_CHARS, parseAnswer, type Answer } from './parse.js';

export type Verdict = 'equal' | 'unequal' | 'unknown' | 'gold_unparsed';

export interface Judgement {
  verdict: Verdict;
  /** The test that decided: string, numeric, symbolic or text; for "unknown", why. */
  via: string;
  ms: number;
}

export interface JudgeOptions {
  relTol?: number;
  /** Wall-clock limit for one check, in milliseconds. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 2000;

/** Checks since the process started (or the last reset): undecided ones by cause, and refused predictions. */
export const verifyStats = { checks: 0, unknown: 0, timeouts: 0, unparsed: 0 };

export function resetVerifyStats(): void {
  verifyStats.checks = verifyStats.unknown = verifyStats.timeouts = verifyStats.unparsed = 0;
}

const NUM = /^[-+]?(?:\d+\.?\d*|\.\d+)$/;
const goldCache = new Map<string, Answer | null>();

/** The parsed gold, cached: the trainer asks about the same gold for every completion of a prompt. */
function parseGold(gold: string): Answer | null {
  let g = goldCache.get(gold);
  if (g === undefined) {
    g = parseAnswer(gold);
    if (goldCache.size > 5000) goldCache.clear();
    goldCache.set(gold, g);
  }
  return g;
}

export function judge(gold: string, pred: string | null, opts: JudgeOptions = {}): Judgement {
  const t0 = performance.now();
  const done = (verdict: Verdict, via: string): Judgement => {
    verifyStats.checks++;
    if (verdict === 'unknown') {
      verifyStats.unknown++;
      if (via === 'timeout') verifyStats.timeouts++;
    }
    if (via === 'pred_unparsed' || via === 'too_long') verifyStats.unparsed++;
    return { verdict, via, ms: performance.now() - t0 };
  };
  const relTol = opts.relTol ?? 1e-9;
  const g0 = gold.trim();
  const p0 = pred?.trim() ?? null;
  if (p0 !== null && NUM.test(g0) && NUM.test(p0)) return done(plainNumbersEqual(g0, p0, relTol) ? 'equal' : 'unequal', 'numeric');
  const g = parseGold(gold);
  if (g === null) return done('gold_unparsed', 'gold');
  if (p0 === null || p0 === '') return done('unequal', 'no_answer');
  const pc = cleanAnswer(p0).s;
  if (pc.length > MAX_ANSWER_CHARS) return done('unequal', 'too_long');
  if (cleanAnswer(gold).s === pc) return done('equal', 'string');
  const p = parseAnswer(p0);
  if (p === null) return done('unequal', 'pred_unparsed');
  const ctx: Ctx = { relTol, budget: new Budget(t0 + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)), via: 'string' };
  try {
    return done(equalAnswers(g, p, ctx) ? 'equal' : 'unequal', ctx.via);
  } catch (e) {
    if (e instanceof Undecided) return done('unknown', e.why);
    throw e;
  }
}

/**
 * true/false for the prediction against the gold; null when the gold cannot be parsed. An undecided check
 * (timeout, undefined everywhere) is false here and counted in verifyStats; use judge() to see it.
 */
export function isEquivalent(gold: string, pred: string | null, relTol = 1e-9): boolean | null {
  const j = judge(gold, pred, { relTol });
  return j.verdict === 'gold_unparsed' ? null : j.verdict === 'equal';
}

/** Two plain numbers: integers exactly; decimals within the tolerance, as doubles when both fit one, else as exact rationals (never Infinity). */
function plainNumbersEqual(a: string, b: string, relTol: number): boolean {
  if (!a.includes('.') && !b.includes('.')) {
    const [x, y] = [decimal(a), decimal(b)];
    return x.n === y.n && x.d === y.d;
  }
  const digits = (s: string) => s.replace(/[^\d]/g, '').length;
  if (digits(a) <= 15 && digits(b) <= 15) {
    const [x, y] = [Number(a), Number(b)];
    return x === y || Math.abs(x - y) <= relTol * Math.max(Math.abs(x), Math.abs(y));
  }
  return exactClose(decimal(a), decimal(b), relTol);
}

function decimal(s: string): { n: bigint; d: bigint } {
  const m = /^([-+]?)(\d*)\.?(\d*)$/.exec(s)!;
  const n = BigInt(`${m[2] || '0'}${m[3]}`) * (m[1] === '-' ? -1n : 1n);
  const d = 10n ** BigInt(m[3].length);
  const g = gcd(n < 0n ? -n : n, d);
  return { n: n / g, d: d / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a || 1n;
}

/** Parses a plain number (thousands commas allowed); null for anything else. */
export function parseNumber(s: string): number | null {
  const t = cleanAnswer(s).s.replace(/(?<=\d),(?=\d{3}\b)/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}
