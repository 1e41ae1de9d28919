// Applies a maintained OpenTelemetry instrumentation to a library the moment Node compiles the
// library's files, instead of through the instrumentation's require-in-the-middle and
// import-in-the-middle hooks: those would load for every app at start-up, library or not. The
// instrumentation is built (and its package loaded) only when the library is, once, with
// enabled:false so its own hooks never install; for each file we call the patch its definitions
// declare for that file and the library's version, which is what its hooks would have done.
// CommonJS compilation goes through one place whether the app requires or imports the library
// (module-hooks.ts), so this covers ESM apps too. Used for winston and pino (logs/) and for the
// database clients (db/).
import { readFileSync } from 'node:fs';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { describe, reportOnce } from '../report';
import { onModuleCompiled } from './module-hooks';

export interface MaintainedTarget {
  /** The package, as the instrumentation's definitions name it: 'winston', 'pg-pool', '@redis/client'. */
  module: string;
  /** A file of the package, from its root: one of the definition's files ('lib/winston/logger.js'), or its main file ('pino.js'), where the definition's own patch applies. */
  file: string;
}

export interface MaintainedInstrumentation {
  /** Its name in messages and in OTEL_NODE_*_INSTRUMENTATIONS: 'pino', 'pg'. */
  name: string;
  targets: MaintainedTarget[];
  /** Builds the instrumentation (loading its package) with enabled:false; called once, when the first target compiles. */
  create(): InstrumentationBase;
}

/** Watches for the targets' files; nothing else happens until the app loads one. */
export function applyWhenCompiled({ name, targets, create }: MaintainedInstrumentation): void {
  let instrumentation: InstrumentationBase | 'failed' | undefined;
  const load = (): InstrumentationBase | undefined => {
    if (instrumentation === undefined) {
      try {
        instrumentation = create();
      } catch (err) {
        instrumentation = 'failed';
        reportOnce(`${name} not instrumented (${describe(err)}); the app is unaffected`);
      }
    }
    return instrumentation === 'failed' ? undefined : instrumentation;
  };
  for (const target of targets) {
    onModuleCompiled(name, `/node_modules/${target.module}/${target.file}`, (mod) => {
      const loaded = load();
      if (loaded) mod.exports = patched(loaded, target, mod as { exports: unknown; filename: string }, name);
    });
  }
}

function patched(instrumentation: InstrumentationBase, target: MaintainedTarget, mod: { exports: unknown; filename: string }, name: string): unknown {
  const version = packageVersion(mod.filename, target.module);
  const fileName = `${target.module}/${target.file}`;
  for (const definition of instrumentation.getModuleDefinitions()) {
    if (definition.name !== target.module || version === undefined || !satisfies(version, definition.supportedVersions)) continue;
    const file = definition.files.find((f) => f.name === fileName);
    // Some files concern only some majors (@redis/client's commander.js is patched for v1 alone).
    if (file) return satisfies(version, file.supportedVersions) ? file.patch(mod.exports, version) : mod.exports;
    return definition.patch ? definition.patch(mod.exports, version) : mod.exports;
  }
  reportOnce(`${target.module} ${version ?? '(unknown version)'} is not a version the ${name} instrumentation supports; left as it is`);
  return mod.exports;
}

/** The version in the package.json of the package `file` belongs to. */
function packageVersion(file: string, module: string): string | undefined {
  const path = file.replaceAll('\\', '/');
  const marker = `/node_modules/${module}/`;
  const root = path.slice(0, path.lastIndexOf(marker) + marker.length);
  const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version?: unknown }).version;
  return typeof version === 'string' ? version : undefined;
}

/**
 * Whether `version` is in one of `ranges`, each written as the instrumentations write theirs:
 * `||`-separated sets of space-separated comparators (`>=5.14.0 <11`, `^5.0.0`, `*`). Anything
 * else (`~`, pre-releases) does not match, so a library is left alone rather than misread.
 */
function satisfies(version: string, ranges: readonly string[]): boolean {
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
