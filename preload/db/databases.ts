// Client spans for pg, mysql2, ioredis and node-redis (v4 and v5), from OpenTelemetry's
// maintained instrumentations, loaded only when the app loads the library.
//
// How: every one of these libraries is CommonJS (pg and pg-pool ship an ESM wrapper that
// imports their CommonJS files; mysql2, ioredis, redis and @redis/client are CommonJS only), so
// an ESM app's `import pg from 'pg'` compiles the same files through the CommonJS loader as a
// `require` does, and frameworks/module-hooks.ts sees both. No module.register/registerHooks
// hook is needed, and no --import flag. When one of the files below compiles, the
// instrumentation is built (its package loaded then, never before), with enabled:false so its
// own require-in-the-middle and import-in-the-middle hooks are never installed, and we apply
// the patch its definitions declare for that file and version: what those hooks would have done.
// (frameworks/maintained.ts does the same for one file of winston or pino; a database library
// needs several files patched by one instrumentation, which also gets our tracer.)
import { createNoopMeter, type TracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { readFileSync } from 'node:fs';
import type { InstrumentationName } from '../config';
import { satisfies } from '../frameworks/maintained';
import { onModuleCompiled } from '../frameworks/module-hooks';
import { describe, reportOnce } from '../report';
import type { OperationRecorder } from './db-tracer';

export type DbInstrumentationName = Extract<InstrumentationName, 'pg' | 'mysql2' | 'ioredis' | 'redis'>;

interface Target {
  /** The package as the instrumentation's definitions name it. */
  module: string;
  /** A file of that package, from node_modules: one of the definition's files, or the package's main file (then the definition's own patch applies). */
  file: string;
}

interface DbInstrumentation {
  targets: Target[];
  create(): InstrumentationBase;
}

const redisFiles = ['dist/lib/client/index.js', 'dist/lib/commander.js', 'dist/lib/client/multi-command.js', 'dist/lib/cluster/index.js', 'dist/lib/cluster/multi-command.js'];

// enabled:false everywhere: the instrumentation must not install its own module hooks.
const INSTRUMENTATIONS: Record<DbInstrumentationName, DbInstrumentation> = {
  pg: {
    // pg/lib/index.js takes Client from lib/client.js, which is patched in place; Pool is pg-pool's.
    targets: [
      { module: 'pg', file: 'pg/lib/client.js' },
      { module: 'pg', file: 'pg/lib/native/client.js' },
      { module: 'pg-pool', file: 'pg-pool/index.js' },
    ],
    create: () => new (require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg')).PgInstrumentation({ enabled: false }),
  },
  mysql2: {
    // Only the Connection (the promise API, pools and pool connections all query through it).
    // Not mysql2's main file nor promise.js: their patch hands the instrumentation mysql2's
    // format(), which would write the values of a parameterised query into db.query.text.
    targets: [{ module: 'mysql2', file: 'mysql2/lib/connection.js' }],
    create: () => new (require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2')).MySQL2Instrumentation({ enabled: false }),
  },
  ioredis: {
    targets: [{ module: 'ioredis', file: 'ioredis/built/index.js' }],
    create: () =>
      new (require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis')).IORedisInstrumentation({
        enabled: false,
        dbStatementSerializer: redisSerializer(),
      }),
  },
  redis: {
    // node-redis v4 and v5 keep the client in @redis/client (v1.x and v5.x of it).
    targets: redisFiles.map((file) => ({ module: '@redis/client', file: `@redis/client/${file}` })),
    create: () =>
      new (require('@opentelemetry/instrumentation-redis') as typeof import('@opentelemetry/instrumentation-redis')).RedisInstrumentation({
        enabled: false,
        dbStatementSerializer: redisSerializer(),
      }),
  },
};

// Our own finishing code, like the instrumentations, loads with the first library.
const redisSerializer = () => (require('./sanitize-redis') as typeof import('./sanitize-redis')).sanitizeRedisCommand;

/** Watches for the libraries of `names`; nothing else happens until the app loads one. */
export function traceDatabases(names: DbInstrumentationName[], tracerProvider: TracerProvider, metrics: OperationRecorder | undefined): void {
  let tracing: TracerProvider | undefined;
  const getTracing = (): TracerProvider => (tracing ??= new (require('./db-tracer') as typeof import('./db-tracer')).DbTracerProvider(tracerProvider, metrics));
  for (const name of names) {
    const { targets, create } = INSTRUMENTATIONS[name];
    let instrumentation: InstrumentationBase | 'failed' | undefined;
    const load = (): InstrumentationBase | undefined => {
      if (instrumentation === undefined) {
        try {
          instrumentation = create();
          instrumentation.setTracerProvider(getTracing());
          // db.client.operation.duration is recorded by DbTracerProvider, for every library alike;
          // pg's own copy would be a second series of the same name through the SDK's slower path.
          instrumentation.setMeterProvider({ getMeter: () => createNoopMeter() });
        } catch (err) {
          instrumentation = 'failed';
          reportOnce(`${name} not instrumented (${describe(err)}); the app is unaffected`);
        }
      }
      return instrumentation === 'failed' ? undefined : instrumentation;
    };
    for (const target of targets) {
      onModuleCompiled(name, `/node_modules/${target.file}`, (mod) => {
        const loaded = load();
        if (loaded) mod.exports = patch(loaded.getModuleDefinitions(), target, mod as { exports: unknown; filename: string }, name);
      });
    }
  }
}

function patch(definitions: InstrumentationModuleDefinition[], target: Target, mod: { exports: unknown; filename: string }, name: string): unknown {
  const version = packageVersion(mod.filename, target.module);
  const definition = definitions.find((d) => d.name === target.module);
  const file = definition?.files.find((f) => f.name === target.file);
  if (!definition || version === undefined || !satisfies(version, definition.supportedVersions)) {
    reportOnce(`${target.module} ${version ?? '(unknown version)'} is not a version the ${name} instrumentation supports; not traced`);
    return mod.exports;
  }
  // Some files concern only some majors (@redis/client's commander.js is patched for v1 alone).
  if (file && !satisfies(version, file.supportedVersions)) return mod.exports;
  const apply = file ? file.patch : definition.patch;
  return apply ? apply(mod.exports, version) : mod.exports;
}

/** The version in the package.json of the package `file` belongs to. */
function packageVersion(file: string, module: string): string | undefined {
  const path = file.replaceAll('\\', '/');
  const marker = `/node_modules/${module}/`;
  const root = path.slice(0, path.lastIndexOf(marker) + marker.length);
  const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version?: unknown }).version;
  return typeof version === 'string' ? version : undefined;
}
