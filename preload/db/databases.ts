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
// (frameworks/maintained.ts does that; here each instrumentation also gets our tracer.)
import { createNoopMeter, type TracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationName } from '../config';
import { applyWhenCompiled, type MaintainedTarget } from '../frameworks/maintained';
import type { OperationRecorder } from './db-tracer';

export type DbInstrumentationName = Extract<InstrumentationName, 'pg' | 'mysql2' | 'ioredis' | 'redis'>;

interface DbInstrumentation {
  targets: MaintainedTarget[];
  create(): InstrumentationBase;
}

const redisFiles = ['dist/lib/client/index.js', 'dist/lib/commander.js', 'dist/lib/client/multi-command.js', 'dist/lib/cluster/index.js', 'dist/lib/cluster/multi-command.js'];

// enabled:false everywhere: the instrumentation must not install its own module hooks.
const INSTRUMENTATIONS: Record<DbInstrumentationName, DbInstrumentation> = {
  pg: {
    // pg/lib/index.js takes Client from lib/client.js, which is patched in place; Pool is pg-pool's.
    targets: [
      { module: 'pg', file: 'lib/client.js' },
      { module: 'pg', file: 'lib/native/client.js' },
      { module: 'pg-pool', file: 'index.js' },
    ],
    create: () => new (require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg')).PgInstrumentation({ enabled: false }),
  },
  mysql2: {
    // Only the Connection (the promise API, pools and pool connections all query through it).
    // Not mysql2's main file nor promise.js: their patch hands the instrumentation mysql2's
    // format(), which would write the values of a parameterised query into db.query.text.
    targets: [{ module: 'mysql2', file: 'lib/connection.js' }],
    create: () => new (require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2')).MySQL2Instrumentation({ enabled: false }),
  },
  ioredis: {
    targets: [{ module: 'ioredis', file: 'built/index.js' }],
    create: () =>
      new (require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis')).IORedisInstrumentation({
        enabled: false,
        dbStatementSerializer: redisSerializer(),
      }),
  },
  redis: {
    // node-redis v4 and v5 keep the client in @redis/client (v1.x and v5.x of it).
    targets: redisFiles.map((file) => ({ module: '@redis/client', file })),
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
    applyWhenCompiled({
      name,
      targets,
      create: () => {
        const instrumentation = create();
        instrumentation.setTracerProvider(getTracing());
        // db.client.operation.duration is recorded by DbTracerProvider, for every library alike;
        // pg's own copy would be a second series of the same name through the SDK's slower path.
        instrumentation.setMeterProvider({ getMeter: () => createNoopMeter() });
        return instrumentation;
      },
    });
  }
}
