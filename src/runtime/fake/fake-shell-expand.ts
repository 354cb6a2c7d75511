/** The fake shell's expansion of words (no field splitting, no globbing). */
import type { Proc } from './fake-shell-proc.ts';
import { closeParen, skipQuoted } from './fake-shell-syntax.ts';

/** Runs a script in the given process; resolves with its exit status (the shell's runScript). */
export type RunScript = (script: string, p: Proc) => Promise<number>;

/**
 * Expands one raw word: quotes, backslashes, `~`, `$VAR`, `${VAR}`, `$?`, `$((arith))` and `$(command)`
 * (run with `run`, the shell's own script runner, passed in so that this module does not import the shell).
 */
export async function expand(word: string, p: Proc, run: RunScript): Promise<string> {
  let out = '';
  let i = 0;
  if (word === '~' || word.startsWith('~/')) {
    out = p.vars.HOME ?? '/';
    i = 1;
  }
  while (i < word.length) {
    const c = word[i]!;
    if (c === '\\') {
      out += word[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = skipQuoted(word, i);
      out += word.slice(i + 1, end - 1);
      i = end;
      continue;
    }
    if (c === '"') {
      const end = skipQuoted(word, i);
      out += await expandDollars(word.slice(i + 1, end - 1), p, true, run);
      i = end;
      continue;
    }
    if (c === '$') {
      const [text, end] = await dollar(word, i, p, run);
      out += text;
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

async function expandDollars(s: string, p: Proc, quoted: boolean, run: RunScript): Promise<string> {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && quoted && /[$"\\`]/.test(s[i + 1] ?? '')) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    if (s[i] === '$') {
      const [text, end] = await dollar(s, i, p, run);
      out += text;
      i = end;
      continue;
    }
    out += s[i++];
  }
  return out;
}

/** Expands the `$…` at i; returns the text and the index after it. */
async function dollar(s: string, i: number, p: Proc, run: RunScript): Promise<[string, number]> {
  if (s.startsWith('$((', i)) {
    const end = closeParen(s, i + 1);
    const expr = await expandDollars(s.slice(i + 3, end - 2), p, false, run);
    return [String(arith(expr, p.vars)), end];
  }
  if (s[i + 1] === '(') {
    const end = closeParen(s, i + 1);
    let captured = '';
    const status = await run(s.slice(i + 2, end - 1), {
      ...p,
      vars: { ...p.vars },
      out: (t) => {
        captured += t;
      },
    });
    p.vars['?'] = String(status);
    return [captured.replace(/\n+$/, ''), end];
  }
  const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*)|([?$#0-9]))/.exec(s.slice(i));
  if (!m) return ['$', i + 1];
  const name = m[1] ?? m[2] ?? m[3]!;
  const value = name === '$' ? '1' : name === '#' ? '0' : (p.vars[name] ?? '');
  return [value, i + m[0].length];
}

/** Integer arithmetic: + - * / % and parentheses, names read as variables. */
function arith(expr: string, vars: Record<string, string>): number {
  const toks = expr.match(/\d+|[A-Za-z_]\w*|[-+*/%()]/g) ?? [];
  let k = 0;
  const atom = (): number => {
    const t = toks[k++];
    if (t === '(') {
      const v = sum();
      k++;
      return v;
    }
    if (t === '-') return -atom();
    if (t === undefined) return 0;
    return /^\d/.test(t) ? Number(t) : Number(vars[t] ?? 0) || 0;
  };
  const product = (): number => {
    let v = atom();
    while (toks[k] === '*' || toks[k] === '/' || toks[k] === '%') {
      const op = toks[k++],
        r = atom();
      v = op === '*' ? v * r : r === 0 ? 0 : op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[k] === '+' || toks[k] === '-') v = toks[k++] === '+' ? v + product() : v - product();
    return v;
  };
  return sum();
}
