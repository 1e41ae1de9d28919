/**
 * The Collector's `${...}` expansion, as confmap does it: `${env:NAME}` and `${env:NAME:-default}`
 * read the environment (the default only when NAME is unset; a variable set to "" gives ""), `$$`
 * is a literal `$`. A scalar that is nothing but one reference takes the referenced value's YAML
 * type (`${env:PORT:-8888}` is the number 8888); a reference inside a longer string is spliced in.
 */
import { parse as parseYaml } from 'yaml';

/** Collector environment variable names (confmap's envvar.ValidationPattern). */
export const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Config providers of otelcol-contrib besides env; the validator cannot resolve them. */
export const OTHER_SCHEMES = new Set(['file', 'yaml', 'http', 'https', 'aes', 's3', 'secretsmanager', 'googlesecretmanager']);

export type Env = Readonly<Record<string, string | undefined>>;

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'env'; raw: string; name: string; default: string | undefined; start: number }
  | { kind: 'other-scheme'; raw: string; scheme: string; start: number }
  | { kind: 'problem'; raw: string; start: number; message: string; severity: 'error' | 'warning' };

/** Splits a scalar into literal text and `${...}` references, reporting malformed ones. */
export function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let text = '';
  let i = 0;
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  while (i < value.length) {
    const c = value[i];
    if (c !== '$') {
      text += c;
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      text += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(value.slice(i));
      if (bare) {
        flush();
        out.push({
          kind: 'problem',
          raw: bare[0],
          start: i,
          severity: 'error',
          message: `"${bare[0]}" is not expanded by the Collector (it stays literal); write \${env:${bare[1]}}, or $$ for a literal $`,
        });
        i += bare[0].length;
      } else {
        text += c;
        i++;
      }
      continue;
    }
    const end = value.indexOf('}', i + 2);
    if (end < 0) {
      flush();
      out.push({ kind: 'problem', raw: value.slice(i), start: i, severity: 'error', message: `unterminated "\${" (missing "}"); write $$ for a literal $` });
      break;
    }
    flush();
    const raw = value.slice(i, end + 1);
    const inner = value.slice(i + 2, end);
    const colon = inner.indexOf(':');
    if (colon < 0) {
      out.push(
        ENV_NAME.test(inner)
          ? { kind: 'problem', raw, start: i, severity: 'warning', message: `"${raw}" has no scheme; write \${env:${inner}} (with :-default where one makes sense)` }
          : { kind: 'problem', raw, start: i, severity: 'error', message: `"${raw}" is not a valid reference; write \${env:NAME} or \${env:NAME:-default}` },
      );
    } else {
      const scheme = inner.slice(0, colon);
      const rest = inner.slice(colon + 1);
      if (scheme === 'env') {
        const cut = rest.indexOf(':-');
        const name = cut < 0 ? rest : rest.slice(0, cut);
        const def = cut < 0 ? undefined : rest.slice(cut + 2);
        if (!ENV_NAME.test(name)) {
          out.push({ kind: 'problem', raw, start: i, severity: 'error', message: `environment variable name "${name}" in "${raw}" is invalid: it must match ${ENV_NAME.source}` });
        } else {
          out.push({ kind: 'env', raw, name, default: def, start: i });
        }
      } else if (OTHER_SCHEMES.has(scheme)) {
        out.push({ kind: 'other-scheme', raw, scheme, start: i });
      } else {
        out.push({ kind: 'problem', raw, start: i, severity: 'error', message: `unknown config provider "${scheme}" in "${raw}" (otelcol-contrib has env, ${[...OTHER_SCHEMES].join(', ')})` });
      }
    }
    i = end + 1;
  }
  flush();
  return out;
}

/** True when the string contains a `${` or `$NAME` the Collector would look at. */
export function hasReference(value: string): boolean {
  return tokenize(value).some((t) => t.kind !== 'text');
}

/** The value the Collector would read for one reference; undefined when unset without a default. */
export function lookup(token: Extract<Token, { kind: 'env' }>, env: Env): string | undefined {
  const v = env[token.name];
  if (v !== undefined) return v;
  return token.default;
}

function typed(text: string): unknown {
  if (text === '') return '';
  try {
    const v: unknown = parseYaml(text);
    return v === null ? null : v;
  } catch {
    return text;
  }
}

/** Expands one scalar as the Collector would. Unresolvable references become "". */
export function expand(value: string, env: Env): unknown {
  const tokens = tokenize(value);
  if (tokens.length === 1 && tokens[0].kind === 'env') {
    const v = lookup(tokens[0], env);
    return v === undefined ? null : typed(v);
  }
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'text') out += t.text;
    else if (t.kind === 'env') out += lookup(t, env) ?? '';
    else out += t.raw;
  }
  return out;
}

/** Expands every string in a parsed configuration. */
export function expandAll(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return expand(value, env);
  if (Array.isArray(value)) return value.map((v) => expandAll(v, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandAll(v, env);
    return out;
  }
  return value;
}

/** Writes a value so that the Collector reads it back unchanged: `$` doubled. */
export function escapeLiteral(value: string): string {
  return value.replace(/\$/g, '$$$$');
}
