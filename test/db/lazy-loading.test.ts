// Start-up never pays for a database library the app does not use: the maintained
// instrumentations (and @opentelemetry/instrumentation under them) load with the library, and
// only the one for it.
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/app.ts';

const SUPPORT = /@opentelemetry\/(instrumentation|sql-common|redis-common)|preload\/db\/(db-tracer|sanitize)/;

/** The files of the instrumentation support loaded by an app that loads `library` (or nothing) and serves a request. */
const loaded = async (library?: string): Promise<string[]> => {
  const run = await runScript('loaded-modules.cjs', { args: library ? [library] : [], env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as string[]).filter((f) => SUPPORT.test(f));
};

describe('lazy loading of the database instrumentations', () => {
  it('loads none of them in an app that uses no database library, even after serving a request', async () => {
    expect(await loaded()).toEqual([]);
  });

  it('loads the instrumentation of the library the app loads, and no other', async () => {
    const names = (files: string[]) => [...new Set(files.map((f) => /instrumentation-[a-z0-9]+/.exec(f)?.[0]).filter(Boolean))];
    expect(names(await loaded('pg'))).toEqual(['instrumentation-pg']);
    expect(names(await loaded('mysql2'))).toEqual(['instrumentation-mysql2']);
    expect(names(await loaded('ioredis'))).toEqual(['instrumentation-ioredis']);
    const redis = await loaded('redis');
    expect(names(redis)).toEqual(['instrumentation-redis']);
    expect(redis.some((f) => f.includes('preload/db/db-tracer'))).toBe(true);
  });
});
