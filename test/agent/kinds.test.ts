// The http, tcp and dns checks against real servers started by the test: expected statuses,
// methods, redirects not followed, timeouts that let go of the connection, and DNS queries to a
// given server (a minimal DNS server on 127.0.0.1 answers them); the mysql check's errors from
// this machine's MariaDB.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createServer, type AddressInfo, type Socket as NetSocket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MYSQL_URL, runAgent } from './helpers.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

interface Report {
  name: string;
  ok: boolean;
  error: string | null;
  latencyMs: number;
}

async function check(yaml: string, env: Record<string, string> = {}): Promise<Report[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nodetel-agent-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'agent.yaml');
  writeFileSync(file, yaml);
  const result = await runAgent(['check', '--json', '--config', file], env);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Report[];
}

async function httpServer(): Promise<{ url: string; requests: { method: string; url: string }[]; server: HttpServer }> {
  const requests: { method: string; url: string }[] = [];
  const sockets = new Set<NetSocket>();
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method!, url: req.url! });
    const status = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 200);
    if (req.url!.startsWith('/slow')) return; // never answers
    if (status >= 300 && status < 400) res.setHeader('location', '/elsewhere');
    res.statusCode = status;
    res.end('x'.repeat(100_000));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe('http checks', () => {
  it('pass on the expected status (default 2xx), follow no redirect, and use the configured method', async () => {
    const { url, requests } = await httpServer();
    const reports = await check(`checks:
  ok:
    url: ${url}/ok
  error:
    url: ${url}/e?status=503
  expected-error:
    url: ${url}/e?status=503
    expectStatus: [503]
  redirect:
    url: ${url}/r?status=302
  redirect-ok:
    url: ${url}/r?status=302
    expectStatus: 3xx
  head:
    url: ${url}/h
    method: HEAD
`);
    expect(reports.map((r) => [r.name, r.ok, r.error])).toEqual([
      ['ok', true, null],
      ['error', false, 'HTTP 503, expected 2xx'],
      ['expected-error', true, null],
      ['redirect', false, 'HTTP 302, expected 2xx'],
      ['redirect-ok', true, null],
      ['head', true, null],
    ]);
    expect(requests.filter((r) => r.url === '/elsewhere')).toEqual([]);
    expect(requests.find((r) => r.url === '/h')!.method).toBe('HEAD');
  });

  it('check HTTPS over HTTP/1.1, also against a server that prefers HTTP/2; verify the certificate unless insecure', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nodetel-agent-tls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const versions: string[] = [];
    const server = createSecureServer({ key: readFileSync(key), cert: readFileSync(cert), allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => server.close());
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    const reports = await check(`checks:\n  insecure:\n    url: ${url}\n    insecure: true\n  verified:\n    url: ${url}\n`);
    expect(reports.map((r) => [r.name, r.ok])).toEqual([
      ['insecure', true],
      ['verified', false],
    ]);
    expect(reports[1]!.error).toMatch(/self-signed certificate/);
    expect(versions).toEqual(['1.1']);
  });

  it('fail at the timeout, and let go of the connection', async () => {
    const { url, server } = await httpServer();
    const reports = await check(`checks:\n  slow:\n    url: ${url}/slow\n    timeout: 300ms\n`);
    expect(reports[0]).toMatchObject({ name: 'slow', ok: false, error: 'no answer within 300 ms (timeout)' });
    expect(reports[0]!.latencyMs).toBeGreaterThanOrEqual(295);
    expect(reports[0]!.latencyMs).toBeLessThan(2000);
    // The agent has exited: its connection is gone.
    await new Promise<void>((resolve) => server.getConnections((_, n) => (expect(n).toBe(0), resolve())));
  });
});

describe('mysql checks', () => {
  // mysql2's table of error names is loaded only when an error needs it (agent/checks/lazy-mysql-errors.ts).
  it("name the server's error by its code, as mysql2 does", async () => {
    const reports = await check(`checks:\n  users-db:\n    url: ${MYSQL_URL.replace(/\/test$/, '/no_such_database')}\n`);
    expect(reports[0]).toMatchObject({ name: 'users-db', ok: false });
    expect(reports[0]!.error).toMatch(/^ER_BAD_DB_ERROR: Unknown database 'no_such_database'/);
  });
});

describe('tcp checks', () => {
  it('pass when a connection is accepted, fail when refused', async () => {
    const open = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => open.close());
    const reports = await check(`checks:
  open:
    url: tcp://127.0.0.1:${(open.address() as AddressInfo).port}
  refused:
    kind: tcp
    host: 127.0.0.1
    port: 1
`);
    expect(reports.map((r) => [r.name, r.ok])).toEqual([
      ['open', true],
      ['refused', false],
    ]);
    expect(reports[1]!.error).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('redis checks', () => {
  it('authenticate with a password or an ACL user, select a database, and say why they fail without the password', async () => {
    const redis = await privateRedis('s3cret-redis');
    const { Redis } = await import('ioredis');
    const admin = new Redis({ port: redis.port, host: '127.0.0.1', password: 's3cret-redis', lazyConnect: true });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'checker', 'on', '>checker-pw', '+ping', '+select', '+auth');
    admin.disconnect();
    const reports = await check(`checks:
  default-user:
    url: redis://:s3cret-redis@127.0.0.1:${redis.port}/2
  acl-user:
    url: redis://checker@127.0.0.1:${redis.port}
    password: \${env:CHECKER_PASSWORD}
  wrong:
    url: redis://:not-it@127.0.0.1:${redis.port}
  none:
    url: redis://127.0.0.1:${redis.port}
`, { CHECKER_PASSWORD: 'checker-pw' });
    expect(reports.map((r) => [r.name, r.ok, r.error])).toEqual([
      ['default-user', true, null],
      ['acl-user', true, null],
      ['wrong', false, 'AUTH answered: WRONGPASS invalid username-password pair or user is disabled.'],
      ['none', false, 'PING answered: NOAUTH Authentication required.'],
    ]);
  });
});

describe('dns checks', () => {
  it('resolve as the app would (hosts file), or ask a DNS server for a record type', async () => {
    const dns = await dnsServer({ 'svc.test': '127.0.0.9' });
    const reports = await check(`checks:
  hosts-file:
    url: dns://localhost
  a-record:
    kind: dns
    host: svc.test
    record: A
    servers: [127.0.0.1:${dns.port}]
  nxdomain:
    kind: dns
    host: missing.test
    record: A
    servers: [127.0.0.1:${dns.port}]
`);
    expect(reports.map((r) => [r.name, r.ok, r.error])).toEqual([
      ['hosts-file', true, null],
      ['a-record', true, null],
      ['nxdomain', false, 'queryA ENOTFOUND missing.test'],
    ]);
    expect(dns.questions).toEqual(['svc.test', 'missing.test']);
  });
});

/** A redis-server of the test's own, with a password (the shared one on 6379 has none). */
async function privateRedis(password: string): Promise<{ port: number }> {
  const { spawn } = await import('node:child_process');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return { port };
}

/** A minimal DNS server over UDP: A records for the given names, NXDOMAIN for anything else. */
async function dnsServer(records: Record<string, string>): Promise<{ port: number; questions: string[] }> {
  const questions: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString());
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5; // zero byte, QTYPE, QCLASS
    const name = labels.join('.');
    questions.push(name);
    const address = records[name];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(address ? 0x8180 : 0x8183, 2); // response, RD, RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(address ? 1 : 0, 6);
    const parts = [header, query.subarray(12, questionEnd)];
    if (address) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0); // the name, as a pointer to the question
      answer.writeUInt16BE(1, 2); // A
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6);
      answer.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => answer.writeUInt8(Number(octet), 12 + i));
      parts.push(answer);
    }
    socket.send(Buffer.concat(parts), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => socket.close());
  return { port: socket.address().port, questions };
}
