// Structural comparison of a parsed gold answer with a parsed prediction, gold first: the gold's shape decides
// which comparisons apply (a bare list of solutions is unordered, a tuple ordered, intervals keep their ends).

import type { Answer } from './parse.js';
import { Budget, compile, constantsEqual, pointsAgree } from './numeric.js';

export interface Ctx {
  relTol: number;
  budget: Budget;
  /** Which test decided, for the record: the deepest one used. */
  via: 'string' | 'numeric' | 'symbolic' | 'text';
}

/** Without spacing and \left \right; a space between two digits stays ("3 4" is not 34). */
const squash = (s: string) => s.replace(/\\left|\\right/g, '').replace(/(\d)\s+(?=\d)/g, '$1\u0001').replace(/\s+/g, '');
/** Text compared on its content: only case, spacing, braces and spacing commands are ignored, never a sign or digit. */
const textKey = (s: string) => s.toLowerCase().replace(/\\(?:left|right|[,;:! ])|\s|[{}]/g, '');
const INF = /^([+-]?)(?:\\infty|∞|infinity|inf)$/;

export function equalAnswers(g: Answer, p: Answer, ctx: Ctx): boolean {
  ctx.budget.check();
  switch (g.kind) {
    case 'text':
      ctx.via = 'text';
      return textKey(g.text) !== '' && textKey(g.text) === textKey(textOf(p));
    case 'choice':
      ctx.via = 'text';
      return p.kind === 'choice' && p.letter === g.letter;
    case 'expr':
      if (p.kind === 'expr') return equalExpr(g, p, ctx);
      if ((p.kind === 'set' || p.kind === 'tuple') && p.items.length === 1) return equalAnswers(g, p.items[0], ctx);
      if (p.kind === 'text') return textKey(g.src) === textKey(p.text);
      if (p.kind === 'relation' && p.op === '=' && p.lhs.kind === 'expr' && namesValue(p.lhs.src)) return equalAnswers(g, p.rhs, ctx);
      return false;
    case 'set':
      if (p.kind === 'set' || p.kind === 'tuple') return unordered(g.items, p.items, ctx);
      return g.items.length === 1 && equalAnswers(g.items[0], p, ctx);
    case 'tuple':
      if (p.kind === 'tuple' || (p.kind === 'set' && p.bare)) return ordered(g.items, p.items, ctx);
      if (p.kind === 'interval' && !p.loClosed && !p.hiClosed && g.items.length === 2) return ordered(g.items, [p.lo, p.hi], ctx);
      if (p.kind === 'matrix') return ordered(g.items, p.rows.flat(), ctx) && (p.rows.length === 1 || p.rows.every((r) => r.length === 1));
      return false;
    case 'interval':
      if (p.kind === 'tuple' && !g.loClosed && !g.hiClosed && p.items.length === 2) return ordered([g.lo, g.hi], p.items, ctx);
      if (p.kind !== 'interval') return false;
      return ends(g.lo, g.loClosed) === ends(p.lo, p.loClosed) && ends(g.hi, g.hiClosed) === ends(p.hi, p.hiClosed) && ordered([g.lo, g.hi], [p.lo, p.hi], ctx);
    case 'union':
      return p.kind === 'union' && unordered(g.parts, p.parts, ctx);
    case 'relation':
      if (p.kind === 'expr' && p.lhs) return equalRelation(g, { kind: 'relation', op: '=', lhs: { kind: 'expr', src: p.lhs, percent: false }, rhs: p }, ctx);
      return p.kind === 'relation' && equalRelation(g, p, ctx);
    case 'matrix': {
      const cells = g.rows.flat();
      if (p.kind === 'matrix') return p.rows.length === g.rows.length && p.rows.every((r, i) => r.length === g.rows[i].length) && ordered(cells, p.rows.flat(), ctx);
      const column = g.rows.every((r) => r.length === 1);
      return column && (p.kind === 'tuple' || (p.kind === 'set' && p.bare)) && ordered(cells, p.items, ctx);
    }
  }
}

/**
 * The left side of `lhs = value` names the value (AB = 13, \cos\theta = \frac{3}{5}, m + n = 36) or computes it
 * (1 - \frac{1}{3} = \frac{2}{3}); a bare number (7 = 5) or an equation still to solve (2x = 10) does neither.
 */
function namesValue(lhs: string): boolean {
  if (/^[-+]?[\d.\s]+$/.test(lhs)) return false;
  return !(/^\s*[-+]?[\d.]/.test(lhs) && (compile(lhs)?.symbols.length ?? 1) > 0);
}

/** Open and closed ends are the same thing at infinity. */
function ends(a: Answer, closed: boolean): boolean {
  return a.kind === 'expr' && /infty|Infinity/.test(a.src) ? false : closed;
}

function textOf(a: Answer): string {
  if (a.kind === 'text') return a.text;
  if (a.kind === 'expr') return a.src;
  return '\u0000';
}

function ordered(gs: Answer[], ps: Answer[], ctx: Ctx): boolean {
  return gs.length === ps.length && gs.every((g, i) => equalAnswers(g, ps[i], ctx));
}

/** A one-to-one matching of gold items to predicted items (every gold item, no extras). */
function unordered(gs: Answer[], ps: Answer[], ctx: Ctx): boolean {
  if (gs.length !== ps.length) return false;
  const used = new Array<boolean>(ps.length).fill(false);
  const memo = new Map<string, boolean>();
  const eq = (i: number, j: number) => {
    const k = `${i},${j}`;
    if (!memo.has(k)) memo.set(k, equalAnswers(gs[i], ps[j], ctx));
    return memo.get(k)!;
  };
  const place = (i: number): boolean => {
    if (i === gs.length) return true;
    for (let j = 0; j < ps.length; j++) {
      if (used[j] || !eq(i, j)) continue;
      used[j] = true;
      if (place(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return place(0);
}

function equalExpr(g: Extract<Answer, { kind: 'expr' }>, p: Extract<Answer, { kind: 'expr' }>, ctx: Ctx): boolean {
  if (squash(g.src) === squash(p.src) && g.percent === p.percent) return true;
  const [gi, pi] = [INF.exec(squash(g.src)), INF.exec(squash(p.src))];
  if (gi || pi) return gi !== null && pi !== null && (gi[1] === '-') === (pi[1] === '-');
  const base = /^(\d+)_\{?(\d+)\}?$/.exec(squash(g.src));
  if (base) return squash(p.src) === base[1] || squash(p.src).replace(/[{}]/g, '') === `${base[1]}_${base[2]}`;
  const gs = g.percent ? [g.src, `(${g.src})/100`] : [g.src];
  const ps = p.percent ? [p.src, `(${p.src})/100`] : [p.src];
  const G = gs.map(compile);
  if (G[0] === null) {
    ctx.via = 'text';
    return textKey(g.src) === textKey(p.src);
  }
  const P = ps.map(compile);
  for (const ge of G) {
    for (const pe of P) {
      if (!ge || !pe) continue;
      if (ge.symbols.length === 0 && pe.symbols.length === 0) {
        if (ctx.via === 'string') ctx.via = 'numeric';
        if (constantsEqual(ge, pe, ctx.relTol, ctx.budget)) return true;
      } else {
        ctx.via = 'symbolic';
        if (pointsAgree(ge, pe, ctx.relTol, ctx.budget)) return true;
      }
    }
  }
  return false;
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '!=': '!=' };

/** a = b matches c = d when a - b is a nonzero multiple of c - d; inequalities must keep their direction. */
function equalRelation(g: Extract<Answer, { kind: 'relation' }>, p: Extract<Answer, { kind: 'relation' }>, ctx: Ctx): boolean {
  if (g.lhs.kind !== 'expr' || g.rhs.kind !== 'expr' || p.lhs.kind !== 'expr' || p.rhs.kind !== 'expr') return false;
  const same = g.op === p.op;
  if (!same && FLIP[g.op] !== p.op) return false;
  const gd = compile(`(${g.lhs.src})-(${g.rhs.src})`);
  const pd = same ? compile(`(${p.lhs.src})-(${p.rhs.src})`) : compile(`(${p.rhs.src})-(${p.lhs.src})`);
  if (!gd || !pd) return squash(`${g.lhs.src}${g.op}${g.rhs.src}`) === squash(`${p.lhs.src}${p.op}${p.rhs.src}`);
  ctx.via = 'symbolic';
  return pointsAgree(gd, pd, ctx.relTol, ctx.budget, g.op === '=' || g.op === '!=' ? 'ratio' : 'equal');
}
