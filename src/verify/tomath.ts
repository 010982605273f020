// Converts one LaTeX (or plain-text) math expression to mathjs syntax, with every implicit product made explicit.

type Kind = 'num' | 'id' | 'fn' | 'op' | 'lp' | 'rp' | 'comma' | 'post';
interface Tok {
  k: Kind;
  v: string;
}

const FUNCS: Record<string, string> = {
  sin: 'sin', cos: 'cos', tan: 'tan', cot: 'cot', sec: 'sec', csc: 'csc',
  arcsin: 'asin', arccos: 'acos', arctan: 'atan', sinh: 'sinh', cosh: 'cosh', tanh: 'tanh',
  ln: 'log', log: 'log', exp: 'exp', sqrt: 'sqrt', abs: 'abs', floor: 'floor', ceil: 'ceil',
  asin: 'asin', acos: 'acos', atan: 'atan', gcd: 'gcd', lcm: 'lcm', max: 'max', min: 'min',
};
const NAMES: Record<string, string> = { pi: 'pi', infty: 'Infinity', infinity: 'Infinity', inf: 'Infinity', e: 'e', i: 'i' };
const OPS: Record<string, string> = { cdot: '*', times: '*', ast: '*', div: '/', star: '*' };
const DROP = new Set(['quad', 'qquad', 'limits', 'nolimits', 'mathrm', 'text', 'mbox', 'mathbf', 'operatorname']);

export class ConvertError extends Error {}

/** mathjs source for a LaTeX expression; throws ConvertError on input it does not understand. */
export function latexToMath(src: string): string {
  const toks = convert(src);
  return join(toks);
}

function join(toks: Tok[]): string {
  const out: string[] = [];
  let prev: Tok | undefined;
  for (const t of toks) {
    const endsOperand = prev && (prev.k === 'num' || prev.k === 'id' || prev.k === 'rp' || prev.k === 'post');
    const startsOperand = t.k === 'num' || t.k === 'id' || t.k === 'fn' || t.k === 'lp';
    // "3 4" is not 12: two numbers side by side are no product in LaTeX
    if (prev?.k === 'num' && t.k === 'num') throw new ConvertError('two numbers side by side');
    if (endsOperand && startsOperand) out.push('*');
    out.push(t.v);
    prev = t;
  }
  return out.join(' ');
}

function convert(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const readArg = (): string => {
    while (s[i] === ' ') i++;
    if (i >= s.length) throw new ConvertError('missing argument');
    if (s[i] === '{') {
      const start = i + 1;
      let depth = 0;
      for (; i < s.length; i++) {
        if (s[i] === '{') depth++;
        else if (s[i] === '}' && --depth === 0) return s.slice(start, i++);
      }
      throw new ConvertError('unbalanced braces');
    }
    if (s[i] === '\\') {
      const m = /^\\[a-zA-Z]+/.exec(s.slice(i));
      if (m) {
        i += m[0].length;
        return m[0];
      }
    }
    return s[i++];
  };
  const group = (inner: string): Tok[] => [{ k: 'lp', v: '(' }, ...convert(inner), { k: 'rp', v: ')' }];
  while (i < s.length) {
    const c = s[i];
    if (c === ' ') {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+(?![a-zA-Z]))?/.exec(s.slice(i));
      if (!m) throw new ConvertError(`bad number at ${i}`);
      out.push({ k: 'num', v: m[0].startsWith('.') ? '0' + m[0] : m[0].replace(/\.$/, '') });
      i += m[0].length;
    } else if (/[a-zA-Z]/.test(c)) {
      const m = /^[a-zA-Z]+/.exec(s.slice(i))![0];
      i += m.length;
      if (FUNCS[m] && (s[i] === '(' || m.length > 2)) pushFn(FUNCS[m]);
      else if (m === 'pi' || m === 'Infinity' || m === 'inf' || m === 'infinity') out.push({ k: 'id', v: NAMES[m] ?? m });
      else for (const ch of m) out.push({ k: 'id', v: ch });
      if (s[i] === '_') subscript();
    } else if (c === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i));
      if (!m) throw new ConvertError('dangling backslash');
      i += m[0].length;
      command(m[1]);
    } else if (c === '{' || c === '(' || c === '[') {
      out.push({ k: 'lp', v: '(' });
      i++;
    } else if (c === '}' || c === ')' || c === ']') {
      out.push({ k: 'rp', v: ')' });
      i++;
    } else if (c === '^') {
      i++;
      while (s[i] === ' ') i++;
      const digits = /^\d+/.exec(s.slice(i));
      const arg = digits ? ((i += digits[0].length), digits[0]) : readArg();
      out.push({ k: 'op', v: '^' }, ...group(arg));
    } else if (c === '_') {
      subscript();
    } else if ('+-*/'.includes(c)) {
      out.push({ k: 'op', v: c });
      i++;
    } else if (c === '!') {
      out.push({ k: 'post', v: '!' });
      i++;
    } else if (c === ',') {
      out.push({ k: 'comma', v: ',' });
      i++;
    } else if (c === "'") {
      throw new ConvertError('prime');
    } else {
      throw new ConvertError(`unexpected "${c}"`);
    }
  }
  return out;

  function subscript(): void {
    i++;
    const arg = readArg().replace(/[^a-zA-Z0-9]/g, '');
    const last = out[out.length - 1];
    if (!last || last.k !== 'id' || !arg) throw new ConvertError('subscript without a symbol');
    last.v = `${last.v}_${arg}`;
  }

  function pushFn(name: string): void {
    out.push({ k: 'fn', v: name });
    while (s[i] === ' ') i++;
    if (s[i] === '^') throw new ConvertError('power of a function');
    if (s[i] === '(') return;
    out.push(...group(readArg()));
  }

  function command(name: string): void {
    if (name === 'frac' || name === 'cfrac') {
      const a = readArg();
      const b = readArg();
      out.push({ k: 'lp', v: '(' }, ...group(a), { k: 'op', v: '/' }, ...group(b), { k: 'rp', v: ')' });
    } else if (name === 'sqrt') {
      while (s[i] === ' ') i++;
      let n: string | null = null;
      if (s[i] === '[') {
        const end = s.indexOf(']', i);
        if (end < 0) throw new ConvertError('unclosed root index');
        n = s.slice(i + 1, end);
        i = end + 1;
      }
      const a = readArg();
      if (n === null) out.push({ k: 'fn', v: 'sqrt' }, ...group(a));
      else out.push({ k: 'fn', v: 'nthRoot' }, { k: 'lp', v: '(' }, ...convert(a), { k: 'comma', v: ',' }, ...convert(n), { k: 'rp', v: ')' });
    } else if (name === 'binom') {
      const a = readArg();
      const b = readArg();
      out.push({ k: 'fn', v: 'combinations' }, { k: 'lp', v: '(' }, ...convert(a), { k: 'comma', v: ',' }, ...convert(b), { k: 'rp', v: ')' });
    } else if (name === 'log' && s[i] === '_') {
      i++;
      const base = readArg();
      while (s[i] === ' ') i++;
      const arg = s[i] === '(' ? null : readArg();
      if (arg === null) throw new ConvertError('log with base and parentheses');
      out.push({ k: 'fn', v: 'log' }, { k: 'lp', v: '(' }, ...convert(arg), { k: 'comma', v: ',' }, ...convert(base), { k: 'rp', v: ')' });
    } else if (FUNCS[name]) {
      pushFn(FUNCS[name]);
    } else if (OPS[name]) {
      out.push({ k: 'op', v: OPS[name] });
    } else if (name === 'pi' || name === 'infty') {
      out.push({ k: 'id', v: NAMES[name] });
    } else if (name === 'lfloor' || name === 'lceil') {
      out.push({ k: 'fn', v: name === 'lfloor' ? 'floor' : 'ceil' }, { k: 'lp', v: '(' });
    } else if (name === 'rfloor' || name === 'rceil') {
      out.push({ k: 'rp', v: ')' });
    } else if (name === '{') {
      out.push({ k: 'lp', v: '(' });
    } else if (name === '}') {
      out.push({ k: 'rp', v: ')' });
    } else if (DROP.has(name) || name === ' ') {
      // markup without meaning for the value
    } else if (/^[a-zA-Z]+$/.test(name)) {
      out.push({ k: 'id', v: name === 'varepsilon' ? 'epsilon' : name === 'varphi' ? 'phi' : name });
    } else {
      throw new ConvertError(`unknown command \\${name}`);
    }
  }
}
