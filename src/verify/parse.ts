// Parses a cleaned answer into its shape: expression, word, set, tuple, interval, union, relation or matrix.

import { balanced, cleanAnswer, dropThousands, matchClose, splitTop } from './latex.js';

export type Answer =
  | { kind: 'expr'; src: string; percent: boolean }
  | { kind: 'text'; text: string }
  | { kind: 'set'; items: Answer[]; bare: boolean; pm?: boolean }
  | { kind: 'tuple'; items: Answer[] }
  | { kind: 'interval'; lo: Answer; hi: Answer; loClosed: boolean; hiClosed: boolean }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'relation'; op: string; lhs: Answer; rhs: Answer }
  | { kind: 'matrix'; rows: Answer[][] };

const LIST = /,|;|\s+and\s+|\s+or\s+/;
const REL = /(<=|>=|!=|=|<|>)/;
const SYMBOL = /^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?$|^\\(?:alpha|beta|gamma|theta|lambda|mu|phi|rho|sigma|omega)$/;
const WORD_FUNCS = /^(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt|pi|max|min|gcd|lcm)$/;
/** Caps the work one answer can cause: longer answers are compared as text only. */
export const MAX_ANSWER_CHARS = 2000;

/** The shape of an answer, or null when nothing usable is left after clean-up. */
export function parseAnswer(raw: string): Answer | null {
  const c = cleanAnswer(raw);
  if (c.s === '') return null;
  if (c.textual || c.s.length > MAX_ANSWER_CHARS) return { kind: 'text', text: c.s };
  if (!balanced(c.s)) return null;
  return parseShape(c.s, c.percent, 0);
}

function isWordAnswer(s: string): boolean {
  if (/^\(?[A-E]\)?$/.test(s)) return /^\(/.test(s);
  if (!/^[a-zA-Z][a-zA-Z '\-]*$/.test(s)) return false;
  const words = s.split(/[\s\-]+/).filter(Boolean);
  return words.some((w) => w.length >= 3 && !WORD_FUNCS.test(w)) && !/^[a-z]$/.test(s);
}

function parseShape(s0: string, percent: boolean, depth: number): Answer {
  let s = s0.trim();
  if (depth > 8) return { kind: 'text', text: s };
  s = s.replace(/\\(?:le|leq|leqslant)(?![a-zA-Z])|≤/g, '<=').replace(/\\(?:ge|geq|geqslant)(?![a-zA-Z])|≥/g, '>=');
  s = s.replace(/\\(?:ne|neq)(?![a-zA-Z])|≠/g, '!=').replace(/\\lt(?![a-zA-Z])/g, '<').replace(/\\gt(?![a-zA-Z])/g, '>');
  if (isWordAnswer(s)) return { kind: 'text', text: s };
  const inAt = /^\s*[a-zA-Z]\s*\\in\s*/.exec(s);
  if (inAt) return parseShape(s.slice(inAt[0].length), percent, depth + 1);
  const matrix = /^\\begin\{([pbvB]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(s);
  if (matrix) {
    const rows = matrix[2].split(/\\\\/).map((r) => r.trim()).filter(Boolean);
    return { kind: 'matrix', rows: rows.map((r) => r.split('&').map((x) => parseShape(x, false, depth + 1))) };
  }
  const unions = splitTop(s, /\\cup|∪|\bU\b/);
  if (unions.length > 1) return { kind: 'union', parts: unions.map((p) => parseShape(p, false, depth + 1)) };
  const solutions = splitTop(s, LIST);
  if (solutions.length > 1 && solutions.every((p) => /^[a-zA-Z]\s*=/.test(p))) {
    return { kind: 'set', bare: true, items: flat(solutions.map((p) => parseShape(p, percent, depth + 1))) };
  }
  const rel = relation(s, percent, depth);
  if (rel) return rel;
  s = dropThousands(s);
  const listed = splitTop(s, LIST);
  if (listed.length > 1 && listed.every(Boolean)) return { kind: 'set', bare: true, items: flat(listed.map((p) => parseShape(p, percent, depth + 1))) };
  const bracket = brackets(s, depth);
  if (bracket) return bracket;
  const pm = splitTop(s, /\\pm|±/);
  if (pm.length === 2 && pm[1] !== '') {
    const head = pm[0] === '' ? '' : `${pm[0]}`;
    return {
      kind: 'set',
      bare: false,
      pm: true,
      items: [`${head}+(${pm[1]})`, `${head}-(${pm[1]})`].map((x) => ({ kind: 'expr', src: x, percent })),
    };
  }
  return { kind: 'expr', src: s, percent };
}

/** 1 ± √5 inside a list stands for its two members. */
function flat(items: Answer[]): Answer[] {
  return items.flatMap((a) => (a.kind === 'set' && a.pm ? a.items : [a]));
}

function relation(s: string, percent: boolean, depth: number): Answer | null {
  const parts = splitTop(s, REL);
  if (parts.length === 1) return null;
  const ops = [...s.matchAll(new RegExp(REL.source, 'g'))].map((m) => m[1]);
  if (parts.some((p) => p === '') || ops.length !== parts.length - 1) return { kind: 'text', text: s };
  const sub = (x: string) => parseShape(x, percent, depth + 1);
  if (parts.length === 2 && ops[0] === '=' && SYMBOL.test(parts[0])) return sub(parts[1]);
  if (parts.length === 2 && ops[0] === '=' && /^[a-zA-Z]\([a-zA-Z]\)$/.test(parts[0])) return sub(parts[1]);
  const oneSymbol = parts.length === 2 && SYMBOL.test(parts[0]) !== SYMBOL.test(parts[1]);
  if (oneSymbol && ops[0] !== '=' && ops[0] !== '!=') {
    if (SYMBOL.test(parts[0])) return ray(ops[0], sub(parts[1]));
    if (SYMBOL.test(parts[1])) return ray(flip(ops[0]), sub(parts[0]));
  }
  if (parts.length === 3 && SYMBOL.test(parts[1]) && ops.every((o) => o.startsWith('<'))) {
    return { kind: 'interval', lo: sub(parts[0]), hi: sub(parts[2]), loClosed: ops[0] === '<=', hiClosed: ops[1] === '<=' };
  }
  if (parts.length === 3 && SYMBOL.test(parts[1]) && ops.every((o) => o.startsWith('>'))) {
    return { kind: 'interval', lo: sub(parts[2]), hi: sub(parts[0]), loClosed: ops[1] === '>=', hiClosed: ops[0] === '>=' };
  }
  if (parts.length === 2) return { kind: 'relation', op: ops[0], lhs: sub(parts[0]), rhs: sub(parts[1]) };
  return { kind: 'text', text: s };
}

function flip(op: string): string {
  return op.replace('<', '#').replace('>', '<').replace('#', '>');
}

/** x < a as an interval: the variable's name does not matter. */
function ray(op: string, bound: Answer): Answer {
  const inf: Answer = { kind: 'expr', src: '\\infty', percent: false };
  const minf: Answer = { kind: 'expr', src: '-\\infty', percent: false };
  if (op.startsWith('<')) return { kind: 'interval', lo: minf, hi: bound, loClosed: false, hiClosed: op === '<=' };
  return { kind: 'interval', lo: bound, hi: inf, loClosed: op === '>=', hiClosed: false };
}

function brackets(s: string, depth: number): Answer | null {
  const setOpen = s.startsWith('\\{');
  if (!setOpen && !'(['.includes(s[0])) return null;
  const close = matchClose(s, 0);
  if (close !== s.length - (setOpen ? 2 : 1)) return null;
  const inner = s.slice(setOpen ? 2 : 1, close);
  const items = splitTop(inner, /,|;/);
  const sub = (x: string) => parseShape(x, false, depth + 1);
  if (setOpen) return { kind: 'set', bare: false, items: inner.trim() === '' ? [] : flat(items.map(sub)) };
  if (items.length === 1) return s[0] === '(' && s.endsWith(')') ? parseShape(inner, false, depth + 1) : { kind: 'tuple', items: [sub(inner)] };
  const lo = s[0];
  const hi = s[s.length - 1];
  if (items.length === 2 && !(lo === '(' && hi === ')')) {
    return { kind: 'interval', lo: sub(items[0]), hi: sub(items[1]), loClosed: lo === '[', hiClosed: hi === ']' };
  }
  return { kind: 'tuple', items: items.map(sub) };
}
