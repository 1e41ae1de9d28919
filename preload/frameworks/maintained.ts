// Applies a maintained OpenTelemetry instrumentation to a library the moment Node compiles the
// library's file, instead of through the instrumentation's require-in-the-middle and
// import-in-the-middle hooks: those would load for every app at start-up, library or not. The
// instrumentation is built (and its package loaded) only when the library is, with
// enabled:false so its own hooks never install; we call the patch of the definition that
// matches the library's version, which is what its hooks would have done.
import { readFileSync } from 'node:fs';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { reportOnce } from '../report';
import { onModuleCompiled } from './module-hooks';

export interface MaintainedTarget {
  /** The package, as the instrumentation's definitions name it: 'winston'. */
  module: string;
  /** The patched file inside the package: its main file ('pino.js') or one of the definition's files ('lib/winston/logger.js'). */
  file: string;
  create: () => InstrumentationBase;
}

export function applyWhenCompiled(target: MaintainedTarget): void {
  let instrumentation: InstrumentationBase | undefined;
  const fileName = `${target.module}/${target.file}`;
  onModuleCompiled(target.module, `/${fileName}`, (mod) => {
    // onModuleCompiled hands over the Module itself, which knows its file.
    const filename = (mod as unknown as { filename: string }).filename.replaceAll('\\', '/');
    const version = String((JSON.parse(readFileSync(`${filename.slice(0, -target.file.length)}package.json`, 'utf8')) as { version?: unknown }).version);
    instrumentation ??= target.create();
    for (const definition of instrumentation.getModuleDefinitions()) {
      if (definition.name !== target.module || !satisfies(version, definition.supportedVersions)) continue;
      const file = definition.files.find((f) => f.name === fileName && satisfies(version, f.supportedVersions));
      if (file) {
        mod.exports = file.patch(mod.exports, version);
        return;
      }
      if (definition.patch && definition.files.length === 0) {
        mod.exports = definition.patch(mod.exports, version);
        return;
      }
    }
    reportOnce(`${target.module} ${version} is not a version its instrumentation supports; left as it is`);
  });
}

/**
 * Whether `version` is in one of `ranges`, each written as the instrumentations write theirs:
 * `||`-separated sets of space-separated comparators (`>=5.14.0 <11`, `^5.0.0`, `*`). Anything
 * else (`~`, pre-releases) does not match, so a library is left alone rather than misread.
 */
export function satisfies(version: string, ranges: readonly string[]): boolean {
  const v = parse(version);
  if (!v) return false;
  return ranges.some((range) =>
    range.split('||').some((set) =>
      set
        .trim()
        .split(/\s+/)
        .every((comparator) => {
          if (comparator === '*' || comparator === 'x') return true;
          const m = /^(>=|<=|>|<|=|\^)?(\d+(?:\.\d+){0,2})$/.exec(comparator);
          if (!m) return false;
          const bound = parse(m[2]!)!;
          const c = compare(v, bound);
          switch (m[1]) {
            case '^':
              return c >= 0 && v[0] === bound[0] && (bound[0]! > 0 || v[1] === bound[1]);
            case '>=':
              return c >= 0;
            case '<=':
              return c <= 0;
            case '>':
              return c > 0;
            case '<':
              return c < 0;
            default:
              return c === 0;
          }
        }),
    ),
  );
}

function parse(version: string): number[] | undefined {
  if (!/^\d+(\.\d+){0,2}$/.test(version)) return undefined;
  const parts = version.split('.').map(Number);
  while (parts.length < 3) parts.push(0);
  return parts;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
