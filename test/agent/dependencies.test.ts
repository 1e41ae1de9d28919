// Readiness from real dependencies: the PostgreSQL, MariaDB and Redis running on this machine,
// each reached through a TCP proxy the test controls. Closing a proxy makes that dependency
// unreachable: /readyz turns 503 within the check's thresholds while /healthz stays 200, and
// back once it is reachable again. Probes never reach a dependency: 2,000 of them open no
// connection (counted at the proxies and server-side).
import { afterEach, describe, expect, it } from 'vitest';
import { closeProxies, MYSQL_URL, PG_URL, probe, REDIS_URL, startAgent, startTcpProxy, stopAll, waitFor, type TcpProxy } from './helpers.ts';

afterEach(async () => {
  await stopAll();
  await closeProxies();
});

function through(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.port = String(proxy.port);
  return u.toString();
}

async function proxies(): Promise<{ pg: TcpProxy; mysql: TcpProxy; redis: TcpProxy }> {
  return { pg: await startTcpProxy(5432), mysql: await startTcpProxy(3306), redis: await startTcpProxy(6379) };
}

/** An agent that does not watch an app, so readiness is about the dependencies alone. */
function checksEnv(p: { pg: TcpProxy; mysql: TcpProxy; redis: TcpProxy }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODETEL_AGENT_HEARTBEAT: 'off',
    NODETEL_AGENT_CHECK_ORDERS_DB: through(PG_URL, p.pg),
    NODETEL_AGENT_CHECK_USERS_DB: through(MYSQL_URL, p.mysql).replace(/^mysql:/, 'mariadb:'),
    NODETEL_AGENT_CHECK_CACHE: through(REDIS_URL, p.redis),
    ...extra,
  };
}

describe('readiness from PostgreSQL, MariaDB and Redis', () => {
  it('is 200 when all pass; a dependency made unreachable turns it 503 within its thresholds, /healthz stays 200, and back', async () => {
    const p = await proxies();
    const interval = 150;
    const timeout = 1000;
    const failureThreshold = 2;
    const successThreshold = 2;
    const agent = await startAgent({
      env: checksEnv(p, {
        NODETEL_AGENT_CHECKS_INTERVAL_MS: String(interval),
        NODETEL_AGENT_CHECKS_TIMEOUT_MS: String(timeout),
        NODETEL_AGENT_CHECKS_FAILURE_THRESHOLD: String(failureThreshold),
        NODETEL_AGENT_CHECKS_SUCCESS_THRESHOLD: String(successThreshold),
      }),
    });
    const ready = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
    expect(ready.body.checks!.map((c) => [c.name, c.kind, c.status])).toEqual([
      ['cache', 'redis', 'passing'],
      ['orders_db', 'postgres', 'passing'],
      ['users_db', 'mariadb', 'passing'],
    ]);
    for (const c of ready.body.checks!) {
      expect(c.latencyMs).toBeGreaterThan(0);
      expect(Date.parse(c.since)).not.toBeNaN();
    }

    // PostgreSQL becomes unreachable.
    const closedAt = Date.now();
    await p.pg.close();
    const down = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 503, { what: 'readiness to fail', timeoutMs: 10_000 });
    const tookMs = Date.now() - closedAt;
    // At most failureThreshold runs, each at most interval + timeout apart (plus polling slack).
    expect(tookMs).toBeLessThan(failureThreshold * (interval + timeout) + 500);
    const pg = down.body.checks!.find((c) => c.name === 'orders_db')!;
    expect(pg.status).toBe('failing');
    expect(pg.consecutiveFailures).toBeGreaterThanOrEqual(failureThreshold);
    expect(pg.lastError).toMatch(/ECONNREFUSED|terminated|ECONNRESET/);
    expect(down.body.reason).toMatch(/^check orders_db \(postgres\) is failing: /);
    expect(down.body.checks!.filter((c) => c.status === 'passing').map((c) => c.name)).toEqual(['cache', 'users_db']);
    // Liveness never depends on a dependency.
    const live = await probe(`${agent.url}/healthz`);
    expect(live.status).toBe(200);

    // Reachable again.
    await p.pg.reopen();
    const back = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness to recover', timeoutMs: 10_000 });
    const recovered = back.body.checks!.find((c) => c.name === 'orders_db')!;
    expect(recovered.status).toBe('passing');
    // The last error is still shown, for whoever looks after the fact.
    expect(recovered.lastError).not.toBeNull();
    expect(agent.stdout()).toMatch(/check orders_db \(postgres\) is failing: /);
    expect(agent.stdout()).toMatch(/check orders_db \(postgres\) is passing/);
  });

  it.each([
    ['orders_db', 'pg'],
    ['users_db', 'mysql'],
    ['cache', 'redis'],
  ] as const)('a single failed run of %s does not flap readiness', async (name, which) => {
    const p = await proxies();
    const agent = await startAgent({ env: checksEnv(p, { NODETEL_AGENT_CHECKS_INTERVAL_MS: '100', NODETEL_AGENT_CHECKS_FAILURE_THRESHOLD: '3' }) });
    await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
    p[which].failNext(1);
    const blip = await waitFor(
      () => probe(`${agent.url}/readyz`),
      (r) => {
        expect(r.status).toBe(200); // never 503 meanwhile
        const c = r.body.checks!.find((x) => x.name === name)!;
        return c.lastError !== null && c.consecutiveFailures === 0;
      },
      { what: 'one failure, then a success', everyMs: 10 },
    );
    expect(blip.body.checks!.find((x) => x.name === name)!.status).toBe('passing');
  });

  it('an optional check that fails is reported but does not gate readiness', async () => {
    const p = await proxies();
    await p.redis.close();
    const agent = await startAgent({ env: checksEnv(p, { NODETEL_AGENT_OPTIONAL_CHECKS: 'cache', NODETEL_AGENT_CHECKS_INTERVAL_MS: '100' }) });
    const ready = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
    const cache = ready.body.checks!.find((c) => c.name === 'cache')!;
    expect(cache).toMatchObject({ required: false, status: 'failing' });
    expect(cache.lastError).toMatch(/ECONNREFUSED|ECONNRESET|Connection is closed/);
  });

  it('waits for the first result of every required check', async () => {
    // A "database" that accepts connections and never answers: the first result is the timeout.
    const { createServer } = await import('node:net');
    const mute = createServer(() => {});
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', () => resolve()));
    const port = (mute.address() as { port: number }).port;
    try {
      const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_SLOW: `postgres://postgres@127.0.0.1:${port}/test`, NODETEL_AGENT_CHECKS_TIMEOUT_MS: '700' } });
      const first = await probe(`${agent.url}/readyz`);
      expect(first.status).toBe(503);
      expect(first.body.reasons).toEqual(['check slow (postgres) has no result yet']);
      expect(first.body.checks![0]!.status).toBe('pending');
      const timedOut = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.body.checks![0]!.status === 'failing', { what: 'the timeout' });
      expect(timedOut.body.checks![0]!.lastError).toBe('no answer within 700 ms (timeout)');
      expect(timedOut.body.checks![0]!.latencyMs).toBeGreaterThanOrEqual(690);
    } finally {
      mute.close();
    }
  });
});

describe('probes cause no dependency traffic', () => {
  it('2,000 probe requests open no connection to PostgreSQL, MariaDB or Redis', async () => {
    const p = await proxies();
    // Checks every 60 s: after the first results, nothing is scheduled during the burst.
    const agent = await startAgent({ env: checksEnv(p, { NODETEL_AGENT_CHECKS_INTERVAL_MS: '60000' }) });
    const ready = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.status === 200, { what: 'readiness' });
    const runs = ready.body.checks!.map((c) => c.runs);
    expect(runs).toEqual([1, 1, 1]);
    const before = { pg: p.pg.accepted, mysql: p.mysql.accepted, redis: p.redis.accepted };
    const serverBefore = await serverSideConnections(p);

    const paths = ['/readyz', '/healthz', '/startupz', '/metrics'];
    const started = Date.now();
    let i = 0;
    const statuses = new Map<number, number>();
    const worker = async (): Promise<void> => {
      while (i < 2000) {
        const path = paths[i++ % paths.length]!;
        const response = await fetch(`${agent.url}${path}`);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const elapsed = Date.now() - started;

    expect([...statuses]).toEqual([[200, 2000]]);
    expect({ pg: p.pg.accepted, mysql: p.mysql.accepted, redis: p.redis.accepted }).toEqual(before);
    const after = await probe(`${agent.url}/readyz`);
    expect(after.body.checks!.map((c) => c.runs)).toEqual(runs);
    // Server-side too: the agent holds no connection between runs (it connects for each run).
    expect(serverBefore).toEqual({ pg: 0, mysql: 0, redis: 0 });
    expect(await serverSideConnections(p)).toEqual({ pg: 0, mysql: 0, redis: 0 });
    // Each dependency did see the agent's first run, through its proxy.
    expect(before).toEqual({ pg: 1, mysql: 1, redis: 1 });
    console.log(`2000 probes in ${elapsed} ms (${Math.round(2000 / (elapsed / 1000))}/s)`);
  });
});

/**
 * Connections open right now, counted by each server, from the proxies' side of them (the only
 * way the agent reaches the servers): PostgreSQL's pg_stat_activity, MariaDB's processlist and
 * Redis' CLIENT LIST, filtered on the local ports the proxies connected from.
 */
async function serverSideConnections(p: { pg: TcpProxy; mysql: TcpProxy; redis: TcpProxy }): Promise<{ pg: number; mysql: number; redis: number }> {
  return { pg: await countPostgres(p.pg.upstreamPorts), mysql: await countMysql(p.mysql.upstreamPorts), redis: await countRedis(p.redis.upstreamPorts) };
}

async function countPostgres(ports: Set<number>): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const r = await client.query('SELECT client_port FROM pg_stat_activity WHERE client_port IS NOT NULL');
    return r.rows.filter((row: { client_port: number }) => ports.has(row.client_port)).length;
  } finally {
    await client.end();
  }
}

async function countMysql(ports: Set<number>): Promise<number> {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    const [rows] = await connection.query('SELECT HOST AS host FROM information_schema.PROCESSLIST');
    return (rows as { host: string }[]).filter((r) => ports.has(Number(r.host.split(':').pop()))).length;
  } finally {
    await connection.end();
  }
}

async function countRedis(ports: Set<number>): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  try {
    const list = (await client.client('LIST')) as string;
    return list.split('\n').filter((line) => ports.has(Number(/ addr=[^ ]*:(\d+) /.exec(line)?.[1]))).length;
  } finally {
    client.disconnect();
  }
}
