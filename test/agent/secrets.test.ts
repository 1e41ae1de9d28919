// Connection strings and passwords never appear in output, logs or metrics: not in `agent check`,
// not in /readyz, not in the agent's log, not in /metrics, even when a dependency's own error
// message repeats the password (a fake PostgreSQL server here does exactly that).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pgErrorResponse, probe, runAgent, startAgent, stopAll, waitFor } from './helpers.ts';

const PASSWORD = 'Sup3r$ecret/pw';
const TOKEN = 'tok_live_8f3a9b';

const cleanup: (() => void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const fn of cleanup.splice(0)) fn();
});

/** Answers every PostgreSQL startup with an ErrorResponse that quotes the password (as a careless proxy might). */
async function leakyPostgres(): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.end(pgErrorResponse(`SFATAL\0C28P01\0Mpassword authentication failed for user "app" with password "${PASSWORD}" (${encodeURIComponent(PASSWORD)})\0`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

function expectNoSecret(text: string, where: string): void {
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN]) expect(text, `${where} shows ${secret}`).not.toContain(secret);
}

describe('secrets', () => {
  it('never appear in agent check, /readyz, the log or /metrics, even when the dependency repeats them', async () => {
    const port = await leakyPostgres();
    const url = `postgres://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/orders?sslmode=disable`;

    const check = await runAgent(['check'], { NODETEL_AGENT_CHECK_DB: url });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`postgres://app:***@127.0.0.1:${port}/orders?sslmode=disable`);
    expect(check.stdout).toContain('password authentication failed for user "app" with password "***" (***)');
    expectNoSecret(check.stdout + check.stderr, 'agent check');

    const agent = await startAgent({ env: { NODETEL_AGENT_HEARTBEAT: 'off', NODETEL_AGENT_CHECK_DB: url, NODETEL_AGENT_CHECKS_INTERVAL_MS: '100' } });
    const failing = await waitFor(() => probe(`${agent.url}/readyz`), (r) => r.body.checks?.[0]?.status === 'failing', { what: 'the check to fail' });
    const body = JSON.stringify(failing.body);
    expect(failing.body.checks![0]!.lastError).toBe('28P01: password authentication failed for user "app" with password "***" (***)');
    expectNoSecret(body, '/readyz');
    expectNoSecret(await (await fetch(`${agent.url}/metrics`)).text(), '/metrics');
    expectNoSecret(agent.stdout() + agent.stderr(), 'the log');
  });

  it('an HTTP check sends its headers and User-Agent, but never shows the token in its URL or headers', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const http = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.statusCode = 500;
      res.end(`token was ${TOKEN}`);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => http.close());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nodetel-agent-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(
      file,
      `checks:\n  payments:\n    url: http://127.0.0.1:${(http.address() as AddressInfo).port}/healthz?api_key=${TOKEN}&region=eu\n    headers:\n      authorization: Bearer \${env:PAYMENTS_TOKEN}\n`,
    );
    const result = await runAgent(['check', '--config', file], { PAYMENTS_TOKEN: TOKEN });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/payments +http +yes +FAIL +[\d.]+ ms +http:\/\/127\.0\.0\.1:\d+\/healthz\?api_key=\*\*\*&region=eu +HTTP 500, expected 2xx/);
    expectNoSecret(result.stdout + result.stderr, 'agent check');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!['user-agent']).toMatch(/^nodetel-agent\/\d+\.\d+\.\d+/);
  });

  it('a MariaDB refusing the login says so without the password', async () => {
    const result = await runAgent(['check'], { NODETEL_AGENT_CHECK_USERS: `mysql://nodetel_nobody:${encodeURIComponent(PASSWORD)}@127.0.0.1:3306/test` });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/users +mysql +yes +FAIL .*mysql:\/\/nodetel_nobody:\*\*\*@127\.0\.0\.1:3306\/test +(ER_ACCESS_DENIED\w*: )?Access denied for user 'nodetel_nobody'@/);
    expectNoSecret(result.stdout + result.stderr, 'agent check');
  });
});
