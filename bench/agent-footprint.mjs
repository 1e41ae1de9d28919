#!/usr/bin/env node
// The agent's footprint, measured: its RSS, and the latency of its probes while its checks run.
//
//   node_modules/.bin/node bench/agent-footprint.mjs            # from the repo root, after `npm run build`
//   VARIANTS=all RATES=1000 PROBES=10000 node_modules/.bin/node bench/agent-footprint.mjs
//   ENTRY=main node_modules/.bin/node bench/agent-footprint.mjs  # plain `node dist/agent/main.js`, no V8 flags
//
// For each variant an agent runs (`agent/bin.cjs`, as the `agent` command starts it, with its V8
// flags; ENTRY=main: `node dist/agent/main.js` without them) with real checks (the PostgreSQL,
// MariaDB and Redis of this machine, an HTTP server and a DNS name), every check every
// CHECK_INTERVAL_MS, and this process sends it the app's heartbeat (the real
// dist/preload/heartbeat.js) every 100 ms. After WARMUP_MS, PROBES probe requests go to it at
// each of RATES per second (/readyz, /healthz, /startupz, /metrics in turn), each on a new
// connection as the kubelet makes them, timed from here (so the time includes this client's own
// work on a machine the agent shares). The agent's RSS (VmRSS of /proc/<pid>/status) is sampled
// every 50 ms throughout. Targets: RSS <= 60 MB, probe p99 <= 5 ms.
//
// Knobs: VARIANTS (comma list of the names below), RATES (100,1000 per second), PROBES per rate
// (5000), CHECK_INTERVAL_MS (1000), WARMUP_MS (3000), ENTRY (bin | main),
// NODE (the node binary; default the one running this), AGENT_FLAGS (extra Node or V8 flags for
// the agent, on its command line before the agent's own, to try one), PIN (1: the agent runs on
// the last CPU alone and this client on the others, as run.sh's PIN=1 does with the app; on a
// 2-core machine the client and the agent otherwise take turns on one core, and the client's p99
// measures that).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onAppCpu, pinToOtherCpus } from './pin.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const PROBES = Number(process.env.PROBES ?? 5000);
const RATES = (process.env.RATES ?? '100,1000').split(',').map(Number);
const ENTRY = process.env.ENTRY ?? 'bin';
const CHECK_INTERVAL_MS = Number(process.env.CHECK_INTERVAL_MS ?? 1000);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 3000);
const NODE = process.env.NODE ?? process.execPath;
const SCRIPT = path.join(ROOT, ENTRY === 'main' ? 'dist/agent/main.js' : 'agent/bin.cjs');
const PIN = process.env.PIN === '1' ? pinToOtherCpus() : null;
const RSS_LIMIT_MB = 60;
const P99_LIMIT_MS = 5;

const FLOOR_SERVER = `
const body = JSON.stringify({ status: 'ok', app: {}, checks: [] });
const server = require('node:http').createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port + '; heartbeat on udp://127.0.0.1:0'));
process.on('SIGTERM', () => process.exit(0));
`;

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL = 'mariadb://root@127.0.0.1:3306/test';
const REDIS = 'redis://127.0.0.1:6379';

// An HTTP dependency for the http check (and the heartbeat's "listening" server).
const dependency = http.createServer((req, res) => res.end('ok'));
await new Promise((resolve) => dependency.listen(0, '127.0.0.1', resolve));
const HTTP = `http://127.0.0.1:${dependency.address().port}/healthz`;

const VARIANTS = {
  // Not the agent: a bare node:http server answering a fixed JSON body, measured the same way.
  // The latency floor of this machine and this client (and Node's own RSS), for comparison.
  floor: { floor: true },
  // No dependency checks: the agent's floor (Node, the server, the heartbeat).
  'app-only': {},
  // One kind at a time: what each client library costs.
  postgres: { NODETEL_AGENT_CHECK_PG: PG },
  mariadb: { NODETEL_AGENT_CHECK_MARIADB: MYSQL },
  redis: { NODETEL_AGENT_CHECK_REDIS: REDIS },
  http: { NODETEL_AGENT_CHECK_HTTP: HTTP },
  tcp: { NODETEL_AGENT_CHECK_TCP: 'tcp://127.0.0.1:6379' },
  dns: { NODETEL_AGENT_CHECK_DNS: 'dns://localhost' },
  // OTLP export of the agent's metrics to a Collector (the test receiver), no checks: over
  // OTLP/HTTP (the agent's default protocol), and over gRPC.
  otlp: { otlp: 'http/protobuf' },
  'otlp (grpc)': { otlp: 'grpc' },
  // The checks in a YAML file (`agent --config file`, as in a pod), here a tcp check: what the
  // yaml parser adds.
  'tcp (file)': { file: 'checks:\n  cache-port:\n    url: tcp://127.0.0.1:6379\n' },
  // A service with its database and its cache.
  'postgres+redis': { NODETEL_AGENT_CHECK_DB: PG, NODETEL_AGENT_CHECK_CACHE: REDIS },
  // A typical service: its database, its cache, one HTTP dependency.
  typical: { NODETEL_AGENT_CHECK_DB: PG, NODETEL_AGENT_CHECK_CACHE: REDIS, NODETEL_AGENT_CHECK_API: HTTP },
  // Every kind at once, and OTLP export (the default protocol) to a Collector (the test receiver).
  all: {
    NODETEL_AGENT_CHECK_PG: PG,
    NODETEL_AGENT_CHECK_MARIADB: MYSQL,
    NODETEL_AGENT_CHECK_REDIS: REDIS,
    NODETEL_AGENT_CHECK_HTTP: HTTP,
    NODETEL_AGENT_CHECK_TCP: 'tcp://127.0.0.1:6379',
    NODETEL_AGENT_CHECK_DNS: 'dns://localhost',
    otlp: 'http/protobuf',
  },
  // The same with MariaDB signing in with a password (user nodetel_pw, made here if missing):
  // mysql2 then hashes to answer the challenge (SHA-1, from @noble/hashes: see
  // agent/checks/password-crypto.ts), as pg does for a PostgreSQL that asks for one, with
  // node:crypto (this machine's trusts local connections, so only MariaDB shows it).
  'all (password)': {
    NODETEL_AGENT_CHECK_PG: PG,
    NODETEL_AGENT_CHECK_MARIADB: 'mariadb://nodetel_pw:Pa55-word@127.0.0.1:3306/test',
    NODETEL_AGENT_CHECK_REDIS: REDIS,
    NODETEL_AGENT_CHECK_HTTP: HTTP,
    NODETEL_AGENT_CHECK_TCP: 'tcp://127.0.0.1:6379',
    NODETEL_AGENT_CHECK_DNS: 'dns://localhost',
    otlp: 'http/protobuf',
    setup: () =>
      execFileSync('mysql', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-e',
        "CREATE USER IF NOT EXISTS 'nodetel_pw'@'%' IDENTIFIED BY 'Pa55-word'; GRANT SELECT ON test.* TO 'nodetel_pw'@'%';"]),
  },
};

/** Requests sent to the agent under test so far (it answers them in order). */
let requestsSent = 0;
/** True while load() runs: a failed probe request is then counted rather than thrown. */
let probing = false;
/** Agents still running: killed if this process ends early, whatever the reason. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// Interrupted (Ctrl-C, kill): exit through the handler above, so no agent is left running.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const chosen = (process.env.VARIANTS ?? 'floor,app-only,postgres,mariadb,redis,http,tcp,dns,otlp,otlp (grpc),tcp (file),postgres+redis,typical,all,all (password)').split(',').map((v) => v.trim());
const results = [];
let receiver;
for (const name of chosen) {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const { otlp, floor, file, setup, ...checks } = variant;
  setup?.();
  const env = { ...checks };
  if (floor) env.FLOOR = '1';
  if (file) env.CONFIG_FILE_TEXT = file;
  if (otlp) {
    receiver ??= await (await import('../test/helpers/otlp-receiver.ts')).startOtlpReceiver();
    const endpoint = otlp === 'grpc' ? receiver.endpoint : receiver.httpEndpoint;
    Object.assign(env, { OTEL_EXPORTER_OTLP_PROTOCOL: otlp, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRIC_EXPORT_INTERVAL: '5000' });
  }
  results.push({ name, ...(await measure(env)) });
}
await receiver?.close();
dependency.close();

console.log(`\nnode ${NODE === process.execPath ? process.version : NODE} ${path.relative(ROOT, SCRIPT)}; ${PROBES} probes per rate on new connections; checks every ${CHECK_INTERVAL_MS} ms; heartbeat every 100 ms${PIN ? `; agent pinned to CPU ${PIN.app}, this client to CPU ${PIN.harness} (PIN=1)` : ''}\n`);
console.log('RSS idle: checks and heartbeats running, before the probe load; RSS max: the highest sample while that row\'s probes arrived (after the rows above it of the same variant).');
console.log('Client: from this process (new connection, request, response); in agent: request.start to response.finish inside the agent.\n');
console.log('Agent CPU per probe: its user + system time over the rate\'s window (checks and heartbeats included) / probes.\n');
console.log('| variant | checks | RSS idle (MB) | RSS max at this rate (MB) | probes/s | client p50 (ms) | client p99 (ms) | client max (ms) | in agent p99 (ms) | in agent max (ms) | agent CPU per probe (µs) | failed probes | check runs |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  for (const l of r.rates) {
    console.log(`| ${r.name} | ${r.checks} | ${r.rssIdleMb.toFixed(1)} | ${l.rssMaxMb.toFixed(1)} | ${l.rate} | ${l.p50.toFixed(2)} | ${l.p99.toFixed(2)} | ${l.max.toFixed(2)} | ${l.server.p99.toFixed(3)} | ${l.server.max.toFixed(3)} | ${l.cpuUsPerProbe.toFixed(0)} | ${l.errors} | ${r.runs} |`);
  }
}
console.log(`\ntargets: RSS <= ${RSS_LIMIT_MB} MB, probe p99 <= ${P99_LIMIT_MS} ms`);

async function measure(extraEnv) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODETEL_AGENT_HOST: '127.0.0.1', NODETEL_AGENT_PORT: '0', NODETEL_AGENT_HEARTBEAT: 'udp://127.0.0.1:0', NODETEL_AGENT_CHECKS_INTERVAL_MS: String(CHECK_INTERVAL_MS), ...extraEnv };
  // Times each request inside the agent too (bench/agent-probe-timer.cjs), written when it exits.
  const timesDir = mkdtempSync(path.join(os.tmpdir(), 'agent-footprint-'));
  env.PROBE_TIMES_FILE = path.join(timesDir, 'times.json');
  env.NODETEL_AGENT_DRAIN_MS = '0';
  let configArgs = [];
  if (env.CONFIG_FILE_TEXT) {
    writeFileSync(path.join(timesDir, 'agent.yaml'), env.CONFIG_FILE_TEXT);
    configArgs = ['--config', path.join(timesDir, 'agent.yaml')];
    delete env.CONFIG_FILE_TEXT;
  }
  const flags = (process.env.AGENT_FLAGS ?? '').split(' ').filter(Boolean);
  const args = [...flags, '--require', path.join(ROOT, 'bench/agent-probe-timer.cjs'), ...(env.FLOOR ? ['-e', FLOOR_SERVER] : [SCRIPT, ...configArgs])];
  const [command, argv] = onAppCpu(PIN, NODE, args);
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const firstRequest = requestsSent; // this agent's request log starts here
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  const ready = await new Promise((resolve, reject) => {
    const onData = () => {
      const m = /listening on http:\/\/[^:]+:(\d+); heartbeat on udp:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), heartbeat: Number(m[2]) });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before listening:\n${out}`)));
  });

  // The app's heartbeat, from the real preload module, to this agent.
  if (ready.heartbeat) {
    const heartbeat = require(path.join(ROOT, 'dist/preload/heartbeat.js'));
    delete globalThis[Symbol.for('nodetel.heartbeat.started')]; // one per variant
    heartbeat.startHeartbeat({ target: `udp://127.0.0.1:${ready.heartbeat}`, intervalMillis: 100 });
  }

  const samples = [];
  const sampler = setInterval(() => samples.push(rssMb(child.pid)), 50);
  const base = `http://127.0.0.1:${ready.port}`;
  await until(async () => (await get(`${base}/readyz`)).status === 200, 15_000, `readiness of ${JSON.stringify(Object.keys(extraEnv))}:\n${out}`);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS)); // checks and heartbeats run meanwhile

  const rssIdleMb = rssMb(child.pid);
  const rates = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const rate of RATES) {
    const from = requestsSent; // the agent logs every request of ours, in order: this rate's window
    const cpuBefore = cpuMs(child.pid);
    const firstSample = samples.length;
    const client = await load(base, rate);
    // The highest RSS while this rate's probes arrived (the rates before it included: memory they left behind stays).
    const rssMaxMb = Math.max(rssIdleMb, ...samples.slice(firstSample), rssMb(child.pid));
    // The agent's CPU over the window (its checks and heartbeats included), per probe.
    const cpuUsPerProbe = ((cpuMs(child.pid) - cpuBefore) * 1000) / PROBES;
    rates.push({ rate, ...client, rssMaxMb, cpuUsPerProbe, window: [from - firstRequest, requestsSent - firstRequest] });
  }
  const readyz = JSON.parse((await get(`${base}/readyz`)).body);
  clearInterval(sampler);
  child.kill('SIGTERM');
  await exited;
  // The agent's own time per request, for each rate's window of requests.
  const times = JSON.parse(readFileSync(env.PROBE_TIMES_FILE, 'utf8'));
  rmSync(timesDir, { recursive: true, force: true });
  for (const r of rates) {
    const window = times.slice(...r.window).sort((a, b) => a - b);
    r.server = { p99: quantile(window, 0.99), max: window.at(-1) ?? 0 };
  }
  return {
    checks: readyz.checks.map((c) => c.kind).join(', ') || 'none',
    runs: readyz.checks.reduce((n, c) => n + c.runs, 0),
    rssIdleMb,
    rates,
  };
}

/** PROBES requests at `rate` per second, in batches every 10 ms; their latencies. */
async function load(base, rate) {
  probing = true;
  const paths = ['/readyz', '/healthz', '/startupz', '/metrics'];
  const latencies = [];
  let errors = 0; // connections refused or reset (a full accept queue on a busy machine): counted, not timed
  const perTick = Math.max(1, Math.round(rate / 100));
  const everyMs = perTick === 1 ? Math.round(1000 / rate) : 10;
  let sent = 0;
  await new Promise((resolve) => {
    const inFlight = new Set();
    const tick = setInterval(() => {
      for (let i = 0; i < perTick && sent < PROBES; i++, sent++) {
        const p = get(`${base}${paths[sent % paths.length]}`).then((r) => {
          if (r.error) errors++;
          else latencies.push(r.ms);
          inFlight.delete(p);
          if (sent >= PROBES && inFlight.size === 0) {
            clearInterval(tick);
            resolve();
          }
        });
        inFlight.add(p);
      }
    }, everyMs);
  });
  probing = false;
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1), errors };
}

function quantile(sorted, f) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] : 0;
}


/** User + system CPU time of a process so far, from /proc/<pid>/stat (in clock ticks, 100 per second on Linux). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime: fields 14 and 15
  } catch {
    return 0;
  }
}

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return 0;
  }
}

function get(url) {
  requestsSent++;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      })
      .on('error', (error) => (probing ? resolve({ error }) : reject(error)));
  });
}

async function until(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (!(await fn().catch((err) => ((lastError = err), false)))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last error: ${lastError?.message})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
