// The `agent` command: --help on every command, `agent check` against the real PostgreSQL,
// MariaDB and Redis of this machine (a table, exit 0 / 1), and configuration mistakes exiting
// with code 2 and a message that names the file, the line and the key.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/app.ts';
import { closeProxies, MYSQL_URL, PG_URL, REDIS_URL, runAgent, startAgent, stopAll, waitFor } from './helpers.ts';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/agent');

afterEach(async () => {
  await stopAll();
  await closeProxies();
});

describe('--help', () => {
  it.each([
    [[], /agent run +Serve \/healthz/],
    [['run'], /Serve \/healthz \(liveness\), \/readyz \(readiness\), \/startupz and \/metrics/],
    [['check'], /Run every check once, print a table, exit 0 when all required checks pass, 1 otherwise[\s\S]*--json/],
  ])('agent %j --help', async (args, expected) => {
    const result = await runAgent([...args, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(expected);
    expect(result.stdout).toMatch(/--config/);
    expect(result.stdout).toMatch(/NODETEL_AGENT_CHECK_<NAME>=<url>/);
    expect(result.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const result = await runAgent(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command or option exits 2 with the usage hint', async () => {
    for (const args of [['chek'], ['check', '--jsn']]) {
      const result = await runAgent(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/Unknown argument[\s\S]*Run `agent --help` for usage\./);
    }
  });
});

describe('agent check', () => {
  it('runs every check once against PostgreSQL, MariaDB and Redis, prints a table and exits 0', async () => {
    const result = await runAgent(['check', '--config', path.join(FIXTURES, 'agent.yaml')], { SEARCH_PORT: '6379' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME +KIND +REQUIRED +STATUS +LATENCY +TARGET +ERROR$/);
    const rows = lines.slice(1, -2).map((l) => l.split(/ {2,}/));
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['orders-db', 'postgres', 'yes', 'pass'],
      ['users-db', 'mariadb', 'yes', 'pass'],
      ['cache', 'redis', 'yes', 'pass'],
      ['search', 'tcp', 'no', 'pass'],
    ]);
    expect(lines.at(-1)).toBe('4 checks: 4 passed, 0 failed');
  });

  it('exits 1 when a required check fails, 0 when only an optional one does; --json for scripts', async () => {
    const env = { NODETEL_AGENT_CHECK_PG: PG_URL, NODETEL_AGENT_CHECK_GONE: 'tcp://127.0.0.1:1' };
    const failed = await runAgent(['check'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^gone +tcp +yes +FAIL +[\d.]+ ms +tcp:\/\/127\.0\.0\.1:1 +connect ECONNREFUSED 127\.0\.0\.1:1$/m);
    expect(failed.stdout).toMatch(/2 checks: 1 passed, 1 failed \(1 required\)/);

    const optional = await runAgent(['check', '--json'], { ...env, NODETEL_AGENT_OPTIONAL_CHECKS: 'gone' });
    expect(optional.code).toBe(0);
    const reports = JSON.parse(optional.stdout) as { name: string; ok: boolean; required: boolean; error: string | null; latencyMs: number }[];
    expect(reports.map((r) => [r.name, r.ok, r.required])).toEqual([
      ['gone', false, false],
      ['pg', true, true],
    ]);
    expect(reports[0]!.error).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('every kind: postgres, mysql, mariadb, redis, http, tcp, dns', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off' } });
    const result = await runAgent(['check', '--json'], {
      NODETEL_AGENT_CHECK_A_PG: PG_URL,
      NODETEL_AGENT_CHECK_B_MYSQL: MYSQL_URL,
      NODETEL_AGENT_CHECK_C_MARIADB: MYSQL_URL.replace('mysql:', 'mariadb:'),
      NODETEL_AGENT_CHECK_D_REDIS: REDIS_URL,
      NODETEL_AGENT_CHECK_E_HTTP: `${agent.url}/healthz`,
      NODETEL_AGENT_CHECK_F_TCP: `tcp://127.0.0.1:${agent.port}`,
      NODETEL_AGENT_CHECK_G_DNS: 'dns://localhost',
    });
    const reports = JSON.parse(result.stdout) as { name: string; kind: string; ok: boolean; error: string | null }[];
    expect(reports.map((r) => [r.name, r.kind, r.ok, r.error])).toEqual([
      ['a_pg', 'postgres', true, null],
      ['b_mysql', 'mysql', true, null],
      ['c_mariadb', 'mariadb', true, null],
      ['d_redis', 'redis', true, null],
      ['e_http', 'http', true, null],
      ['f_tcp', 'tcp', true, null],
      ['g_dns', 'dns', true, null],
    ]);
    expect(result.code).toBe(0);
  });
});

describe('configuration mistakes exit 2 and say where', () => {
  it.each(['check', 'run', '(no command)'])('a bad YAML file (agent %s) names the file and the line', async (command) => {
    const file = path.join(FIXTURES, 'bad-indent.yaml');
    const result = await runAgent([...(command.startsWith('(') ? [] : [command]), '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`nodetel-agent: invalid configuration:\n  ${file}:4:1: (syntax): not valid YAML: All mapping items must start at the same column\n`);
    expect(result.stdout).toBe('');
  });

  it('a wrong value in the file names file:line:col, the key and the fix', async () => {
    const result = await runAgent(['check', '--config', path.join(FIXTURES, 'agent.yaml')], { SEARCH_PORT: 'ninety-two hundred' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path.join(FIXTURES, 'agent.yaml')}:20:11: checks.search.port: the value is not a whole number from 1 to 65535`);
  });

  it('a wrong environment variable names it; a missing file says so', async () => {
    const env = await runAgent(['run'], { NODETEL_AGENT_DRAIN_MS: '5s' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('environment variable NODETEL_AGENT_DRAIN_MS: "5s" is not a whole number of milliseconds (e.g. 30000 for 30 s)');
    const missing = await runAgent(['--config', '/nonexistent/agent.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/agent.yaml: does not exist; check the path given to --config or NODETEL_AGENT_CONFIG');
  });

  it('logs JSON lines with NODETEL_AGENT_LOG_FORMAT=json', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_LOG_FORMAT: 'json', NODETEL_AGENT_CHECK_GONE: 'tcp://127.0.0.1:1' } });
    await waitFor(async () => agent.stdout(), (out) => out.includes('is failing'), { what: 'the check to fail' });
    const lines = agent.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'info', url: agent.url, heartbeat: null });
    expect(lines[0]!.msg).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+; app not watched/);
    expect(lines.find((l) => l.check === 'gone')).toMatchObject({ level: 'warn', kind: 'tcp', required: true, status: 'failing', msg: 'check gone (tcp) is failing: connect ECONNREFUSED 127.0.0.1:1' });
    for (const line of lines) expect(Date.parse(String(line.time))).not.toBeNaN();
  });

  it('the port already in use exits 1 saying which variable to change', async () => {
    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off' } });
    const result = await runAgent(['run'], { NODETEL_AGENT_HOST: '127.0.0.1', NODETEL_AGENT_PORT: String(agent.port), NODETEL_AGENT_HEARTBEAT: 'off' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`cannot listen on 127.0.0.1:${agent.port}: the port is in use; set NODETEL_AGENT_PORT / NODETEL_AGENT_HOST (or server.port / server.host)`);
  });
});
