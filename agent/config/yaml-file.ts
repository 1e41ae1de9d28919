// The optional YAML configuration file: parsed with positions, so that every problem found later
// can name its line, and with `${env:NAME}` (or `${NAME}`) replaced by the environment variable,
// so secrets can stay in the pod's environment (a Secret) rather than in the file. `$$` is a `$`.
// The `yaml` package is loaded only when a file is given.
import type * as Yaml from 'yaml';
import type { ConfigProblem } from '../errors';

export type Path = readonly (string | number)[];

export interface YamlFile {
  file: string;
  /** The document as plain data (maps as objects), with ${env:...} substituted. */
  data: unknown;
  /** `file:line:col` of the value at path (or of the nearest parent that exists). */
  where(path: Path, at?: 'key' | 'value'): string;
  /** Paths whose string value came (in part) from an environment variable. */
  substituted: Set<string>;
  problems: ConfigProblem[];
}

export function parseYamlFile(file: string, text: string, env: Record<string, string | undefined>): YamlFile {
  const yaml = require('yaml') as typeof Yaml;
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const problems: ConfigProblem[] = [];
  const substituted = new Set<string>();

  // Syntax errors: the parser's message without its code frame (which could show a secret).
  for (const error of doc.errors) {
    const offset = error.pos?.[0];
    problems.push({ where: offset === undefined ? file : at(offset), key: '(syntax)', message: `not valid YAML: ${firstLine(error.message)}` });
  }

  const where = (path: Path, which: 'key' | 'value' = 'value'): string => {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (which === 'key' && n === path.length && n > 0) {
        const parent = sub.length > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
        if (yaml.isMap(parent)) {
          const pair = parent.items.find((p) => (yaml.isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(sub[sub.length - 1]));
          const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
          if (range) return at(range[0]);
        }
      }
      const node = (sub.length === 0 ? doc.contents : doc.getIn(sub, true)) as { range?: [number, number, number] } | null | undefined;
      if (node && typeof node === 'object' && node.range) return at(node.range[0]);
    }
    return file;
  };

  let data: unknown = {};
  if (doc.errors.length === 0) {
    const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (raw === null || raw === undefined) data = {};
    else if (typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ where: where([]), key: '(top level)', message: 'the file must be a mapping of settings (server:, app:, checks: ...)' });
    } else {
      data = substitute(raw, [], env, (path, name) => {
        problems.push({ where: where(path), key: path.join('.'), message: `environment variable ${name} is not set; set it, or write the value in the file` });
      }, (path) => substituted.add(path.join('.')));
    }
  }
  return { file, data, where, substituted, problems };
}

const REFERENCE = /\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substitute(
  value: unknown,
  path: (string | number)[],
  env: Record<string, string | undefined>,
  missing: (path: Path, name: string) => void,
  used: (path: Path) => void,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    let touched = false;
    const out = value.replace(REFERENCE, (_whole, name: string | undefined) => {
      if (!name) return '$';
      touched = true;
      const v = env[name];
      if (v === undefined) {
        missing(path, name);
        return '';
      }
      return v;
    });
    if (touched) used(path);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...path, i], env, missing, used));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, [...path, k], env, missing, used);
    return out;
  }
  return value;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}
