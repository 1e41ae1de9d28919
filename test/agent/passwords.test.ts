// Checks that sign in with a password. The agent gives mysql2 its SHA-1 and SHA-256 from
// @noble/hashes rather than node:crypto (agent/checks/password-crypto.ts), and pg its password
// hashing (and with it node:crypto) only when a server asks for a password
// (agent/checks/lazy-pg-crypto.ts), so these prove that the answer to the challenge is still
// right: MariaDB's mysql_native_password against this machine's server, and PostgreSQL's MD5
// exchange against a server here that checks the hash (this machine's PostgreSQL trusts local
// connections and never asks).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MYSQL_URL, PG_URL, agentModule, builtinsLoadedBy, pgErrorResponse, runAgent, stopAll } from './helpers.ts';

const cleanup: (() => void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const fn of cleanup.splice(0)) fn();
});

const MYSQL_USER_URL = 'mysql://nodetel_pw:Pa55-word@127.0.0.1:3306';

function createMysqlUser(): void {
  const sql = "CREATE USER IF NOT EXISTS 'nodetel_pw'@'%' IDENTIFIED BY 'Pa55-word'; CREATE USER IF NOT EXISTS 'nodetel_pw'@'localhost' IDENTIFIED BY 'Pa55-word';";
  execFileSync('mysql', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-e', sql]);
}

interface Report {
  name: string;
  ok: boolean;
  error: string | null;
}

async function check(env: Record<string, string>): Promise<Report> {
  const result = await runAgent(['check', '--json'], env);
  const [report] = JSON.parse(result.stdout) as Report[];
  return report!;
}

const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/** A PostgreSQL server that asks for an MD5 password, checks the client's answer, and says which it was in its error. */
async function md5Postgres(user: string, password: string): Promise<number> {
  const salt = Buffer.from([0x01, 0x02, 0x03, 0x04]);
  const expected = `md5${md5(Buffer.concat([Buffer.from(md5(password + user)), salt]))}`;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    let step = 0;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (step === 0 && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
        // StartupMessage -> AuthenticationMD5Password
        buffered = buffered.subarray(buffered.readInt32BE(0));
        step = 1;
        const ask = Buffer.alloc(13);
        ask.write('R', 0);
        ask.writeInt32BE(12, 1);
        ask.writeInt32BE(5, 5);
        salt.copy(ask, 9);
        socket.write(ask);
      }
      if (step === 1 && buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        // PasswordMessage ('p', length, the hash and a NUL)
        const answer = buffered.subarray(5, 1 + buffered.readInt32BE(1) - 1).toString();
        step = 2;
        const verdict = answer === expected ? 'the MD5 answer was right' : `the MD5 answer was wrong: ${answer}`;
        socket.end(pgErrorResponse(`SFATAL\0C08P01\0M${verdict}\0`));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

describe('checks with a password', () => {
  it('mysql: signs in to MariaDB as a user with a password', async () => {
    createMysqlUser();
    expect(await check({ NODETEL_AGENT_CHECK_USERS: MYSQL_USER_URL })).toMatchObject({ ok: true, error: null });
    const wrong = await check({ NODETEL_AGENT_CHECK_USERS: 'mysql://nodetel_pw:not-it@127.0.0.1:3306' });
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatch(/Access denied for user 'nodetel_pw'/);
  });

  it('postgres: answers an MD5 password challenge with the right hash', async () => {
    const port = await md5Postgres('app', 'Pa55-word');
    const report = await check({ NODETEL_AGENT_CHECK_DB: `postgres://app:Pa55-word@127.0.0.1:${port}/orders?sslmode=disable` });
    expect(report.ok).toBe(false);
    expect(report.error).toContain('the MD5 answer was right');
  });
});

describe("mysql2's hashes", () => {
  const crypto = agentModule('checks/password-crypto') as unknown as typeof import('node:crypto');
  const node = (algorithm: string, parts: (string | Buffer)[]): Buffer => parts.reduce((h, p) => h.update(p), createHash(algorithm)).digest();

  it.each(['sha1', 'sha256', 'SHA1'])('%s gives what node:crypto gives, as a Buffer', (algorithm) => {
    const inputs: (string | Buffer)[][] = [[''], ['Pa55-word'], ['pässwörd ✓'], [Buffer.from('0123456789abcdefghij'), Buffer.from([0, 255, 128]), 'x'.repeat(1000)]];
    for (const parts of inputs) {
      const ours = parts.reduce((h, p) => h.update(p), crypto.createHash(algorithm)).digest();
      expect(Buffer.isBuffer(ours)).toBe(true);
      expect(ours.toString('hex')).toBe(node(algorithm, parts).toString('hex'));
    }
  });

  it("hands anything else to node:crypto's own", () => {
    expect(crypto.createHash('md5').update('x').digest('hex')).toBe(createHash('md5').update('x').digest('hex'));
    expect(crypto.constants.RSA_PKCS1_OAEP_PADDING).toBe(4);
  });
});

describe('what a password costs', () => {
  // node:crypto (about 1-1.5 MB of the agent's RSS with OpenSSL's digests) loads for a PostgreSQL
  // password exchange, not with pg, and not for MariaDB's (SHA-1 from @noble/hashes); node:assert
  // (0.5 MB) loads with undici only if one of its invariants fails.
  it.each([
    { dependency: 'databases without a password: neither node:crypto nor node:assert', mysql: MYSQL_URL, loads: [], leavesOut: ['crypto', 'assert'] },
    { dependency: 'MariaDB with a password: neither either', mysql: MYSQL_USER_URL, loads: [], leavesOut: ['crypto', 'assert'] },
  ])('$dependency', async ({ mysql, loads, leavesOut }) => {
    if (mysql === MYSQL_USER_URL) createMysqlUser();
    const api = createHttpServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => api.close());
    const builtins = await builtinsLoadedBy({
      NODETEL_AGENT_CHECK_PG: PG_URL,
      NODETEL_AGENT_CHECK_MYSQL: mysql,
      NODETEL_AGENT_CHECK_API: `http://127.0.0.1:${(api.address() as AddressInfo).port}/`,
    });
    expect(builtins).toEqual(expect.arrayContaining(['http', 'net', ...loads]));
    for (const name of leavesOut) expect(builtins).not.toContain(name);
  });
});
