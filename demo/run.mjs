// npm run demo
//
// Starts an OTLP/gRPC receiver (standing in for an OpenTelemetry Collector),
// runs two unmodified apps (demo/backend.cjs, demo/frontend.mjs) with
// `node --require ./preload`, sends them a few requests, waits until their
// traces have arrived, stops them with SIGTERM and prints what was received.
// Exit code 0 when every expected trace arrived, 1 otherwise.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTraces, groupTraces, palette, serviceOf } from './print-traces.mjs';

// The receiver is TypeScript, imported through Node's type stripping (on by default since
// 22.18 and 23.6); the apps are started with this same Node, which the preload also checks.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || (major === 23 && minor < 6)) {
  console.error(
    `npm run demo needs Node >= 22.18, this is ${process.version} (${process.execPath}).\n` +
      'npm puts node_modules/.bin first on PATH: node_modules/.bin/node should be the pinned Node 24 (the "node" devDependency).',
  );
  process.exit(1);
}
const { startOtlpReceiver } = await import('../test/helpers/otlp-receiver.ts');

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const preload = path.join(repo, 'preload');
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const c = palette(color);

const WAIT_MS = 20_000; // for the expected spans
const START_MS = 10_000; // for each service to print "listening <port>"
const STOP_MS = 5_000; // for each service to exit after SIGTERM

const requests = [
  { path: '/healthz', status: 200, note: 'health checks are not traced' },
  { path: '/orders/1', status: 200, backendCalls: 2 },
  { path: '/orders/2', status: 200, backendCalls: 2 },
  { path: '/orders/3', status: 200, backendCalls: 2 },
  { path: '/checkout', status: 502, backendCalls: 1, note: 'fails on purpose: demo-backend answers 500' },
];
const traced = requests.filter((r) => r.backendCalls);
const want = {
  traces: traced.length, // one frontend root server span per traced request
  calls: traced.reduce((n, r) => n + r.backendCalls, 0), // frontend client spans = backend server spans
};

/** A failure the demo explains itself (no stack trace). */
class DemoError extends Error {
  constructor(message, { diagnose = false } = {}) {
    super(message);
    this.diagnose = diagnose;
  }
}

const services = [];
const receiver = await startOtlpReceiver();

try {
  console.log(c.bold('nodetel demo: two unmodified apps, traced by the preload alone\n'));
  console.log(`  ${'OTLP/gRPC receiver'.padEnd(19)} ${receiver.endpoint}  ${c.dim('(stands in for an OpenTelemetry Collector)')}`);
  const backend = await startService('demo-backend', 'backend.cjs');
  const frontend = await startService('demo-frontend', 'frontend.mjs', { BACKEND_URL: `http://127.0.0.1:${backend.port}` });
  console.log(c.dim(`  ${''.padEnd(19)} env: OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.endpoint} OTEL_SERVICE_NAME=<name>`));
  console.log(c.dim(`  ${''.padEnd(19)} neither app imports nodetel or OpenTelemetry\n`));

  console.log('sending requests to demo-frontend');
  for (const [i, r] of requests.entries()) {
    const res = await fetch(`http://127.0.0.1:${frontend.port}${r.path}`, {
      headers: { 'x-request-id': `demo-${i + 1}` },
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    const ok = res.status === r.status;
    console.log(`  GET ${r.path.padEnd(12)} ${ok ? res.status : c.red(res.status)}${r.note ? c.dim(`  (${r.note})`) : ''}`);
    if (!ok) throw new DemoError(`GET ${r.path} answered ${res.status}, expected ${r.status}`);
  }

  const what = `${want.traces} traces (${want.calls} backend calls)`;
  process.stdout.write(`\nwaiting for ${what} ... `);
  const t0 = performance.now();
  try {
    await Promise.race([
      receiver.waitFor(() => complete(progress(receiver.spans)), { timeoutMs: WAIT_MS, what }),
      ...services.map((s) => s.exit.then(() => Promise.reject(new DemoError(`${s.name} exited early (${exitText(s)})`)))),
    ]);
  } catch (err) {
    console.log(c.red('failed'));
    throw new DemoError(err instanceof DemoError ? err.message : `${what} did not arrive within ${WAIT_MS / 1000} s`, {
      diagnose: true,
    });
  }
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  process.stdout.write('stopping both services with SIGTERM (the preload flushes what is left) ... ');
  const warnings = await stopServices();
  console.log(warnings.length ? c.yellow('done, with warnings') : 'done');
  for (const w of warnings) console.log(c.yellow(`  warning: ${w}`));
  console.log();

  const { spans, metrics, logs } = receiver;
  process.stdout.write(formatTraces(spans, { color, logs }));

  const problems = healthzProblems(spans);
  const traceCount = groupTraces(spans).length;
  const spanServices = [...new Set(spans.map(serviceOf))].sort();
  const metricNames = new Set(metrics.map((m) => m.name));
  console.log(
    c.bold(`${traceCount} traces, ${spans.length} spans`) +
      ` from ${spanServices.length} services (${spanServices.join(', ')}); ` +
      `metrics: ${metrics.length} received${metrics.length ? ` (${metricNames.size} names)` : ''}; logs: ${logs.length} records`,
  );
  if (problems.length) {
    for (const p of problems) console.log(c.red(`✘ ${p}`));
    process.exitCode = 1;
  } else {
    console.log(c.green(`✔ ${verdict(metrics.length, logs.length)}`));
  }
} catch (err) {
  process.exitCode = 1;
  console.log(c.red(`\n✘ ${err instanceof DemoError ? err.message : `unexpected error: ${err?.stack ?? err}`}`));
  if (err?.diagnose) diagnose();
  await stopServices();
  for (const s of services) {
    console.log(c.bold(`\n--- ${s.name} (${exitText(s)}) stderr ---`));
    console.log(s.stderr.trim() || c.dim('(empty)'));
  }
} finally {
  await stopServices();
  await receiver.close();
}

// ---------------------------------------------------------------------------

/** Starts `node --require ./preload demo/<file>` and resolves once it prints "listening <port>". */
async function startService(name, file, extraEnv = {}) {
  // Start from the caller's environment without any OTEL_* or NODETEL_* variable that could change the outcome.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL|NODETEL)_/.test(k)));
  Object.assign(env, extraEnv, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_SERVICE_NAME: name,
    OTEL_BSP_SCHEDULE_DELAY: '500', // export spans every 0.5 s instead of 5 s
    OTEL_METRIC_EXPORT_INTERVAL: '2000', // and metrics every 2 s instead of 60 s
  });
  const child = spawn(process.execPath, ['--require', preload, path.join(repo, 'demo', file)], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = { name, file, child, port: 0, stdout: '', stderr: '', exited: null };
  services.push(s);
  child.stdout.setEncoding('utf8').on('data', (d) => (s.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (s.stderr += d));
  s.exit = new Promise((resolve) => {
    child.on('error', (err) => {
      s.stderr += `spawn failed: ${err.message}\n`;
      s.exited ??= { code: null, signal: null };
      resolve();
    });
    child.on('exit', (code, signal) => {
      s.exited = { code, signal };
      resolve();
    });
  });

  let timer;
  s.port = await Promise.race([
    new Promise((resolve) => {
      const onData = () => {
        const m = /^listening (\d+)$/m.exec(s.stdout);
        if (m) {
          child.stdout.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', onData);
    }),
    s.exit.then(() => Promise.reject(new DemoError(`${name} exited before listening (${exitText(s)})`))),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new DemoError(`${name} did not print "listening <port>" within ${START_MS / 1000} s`)), START_MS);
    }),
  ]).finally(() => clearTimeout(timer));

  const cmd = `node --require ./preload demo/${file}`;
  console.log(`  ${name.padEnd(19)} ${cmd.padEnd(44)} ${c.dim(`listening on 127.0.0.1:${s.port}`)}`);
  return s;
}

/** SIGTERM every running service (backend last, so the frontend can finish), SIGKILL after STOP_MS. */
async function stopServices() {
  const warnings = [];
  for (const s of [...services].reverse()) {
    if (s.exited) continue;
    s.child.kill('SIGTERM');
    let timer;
    const inTime = await Promise.race([
      s.exit.then(() => true),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_MS, false))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      s.child.kill('SIGKILL');
      await s.exit;
      warnings.push(`${s.name} did not exit within ${STOP_MS / 1000} s of SIGTERM and was killed`);
    } else if (s.exited.code !== null && s.exited.code !== 0) {
      // Dying of the re-raised SIGTERM is normal: the preload flushes, then lets the signal do what it would have done.
      warnings.push(`${s.name} exited with code ${s.exited.code} after SIGTERM`);
    }
  }
  return warnings;
}

function exitText(s) {
  if (!s.exited) return 'still running';
  return s.exited.signal ? `killed by ${s.exited.signal}` : `exit code ${s.exited.code}`;
}

/** Counts what the expected traces are made of. */
function progress(spans) {
  const roots = spans.filter((s) => serviceOf(s) === 'demo-frontend' && s.kind === 2 && !s.parentSpanId);
  const traceIds = new Set(roots.map((s) => s.traceId));
  const backendServers = spans.filter((s) => serviceOf(s) === 'demo-backend' && s.kind === 2);
  return {
    spans: spans.length,
    roots: roots.length,
    backendServers: backendServers.length,
    joined: backendServers.filter((s) => traceIds.has(s.traceId)).length,
    clients: spans.filter((s) => serviceOf(s) === 'demo-frontend' && s.kind === 3 && traceIds.has(s.traceId)).length,
  };
}

function complete(p) {
  return p.roots >= want.traces && p.clients >= want.calls && p.joined >= want.calls && p;
}

/** Explains, after a timeout, which part of the expected traces is missing, and shows what did arrive. */
function diagnose() {
  const p = progress(receiver.spans);
  const row = (ok, text) => console.log(`  ${ok ? c.green('✔') : c.red('✘')} ${text}`);
  console.log(`\nreceived ${p.spans} spans in total at ${receiver.endpoint}`);
  row(p.roots >= want.traces, `demo-frontend server spans (trace roots): ${p.roots} of ${want.traces}`);
  row(p.clients >= want.calls, `demo-frontend client spans (fetch + http.get) in those traces: ${p.clients} of ${want.calls}`);
  row(p.backendServers >= want.calls, `demo-backend server spans: ${p.backendServers} of ${want.calls}`);
  row(p.joined >= want.calls, `demo-backend server spans joined to a frontend trace: ${p.joined} of ${want.calls}`);
  if (p.spans === 0) {
    console.log(c.yellow(`  no span at all: was the preload loaded, and did it export to ${receiver.endpoint}? see stderr below`));
  } else if (p.backendServers > p.joined) {
    console.log(c.yellow('  some backend spans started their own trace: the trace context (traceparent) did not propagate'));
  }
  if (p.spans > 0) {
    console.log(c.bold('\nwhat did arrive:\n'));
    process.stdout.write(formatTraces(receiver.spans, { color, logs: receiver.logs }));
  }
  console.log(`metrics: ${receiver.metrics.length} received; logs: ${receiver.logs.length} records`);
}

/** /healthz must not produce a span; the only frontend traces should be the requests listed as traced. */
function healthzProblems(spans) {
  const problems = [];
  const isHealthz = (s) =>
    ['http.route', 'url.path', 'http.target'].some((k) => String(s.attributes?.[k] ?? '').startsWith('/healthz')) ||
    s.name.includes('/healthz');
  const healthz = spans.filter(isHealthz);
  if (healthz.length) problems.push(`GET /healthz produced ${healthz.length} span(s); health checks should not be traced`);
  const p = progress(spans);
  if (!healthz.length && p.roots > want.traces) {
    problems.push(`expected ${want.traces} demo-frontend server spans, got ${p.roots}: was GET /healthz traced?`);
  }
  return problems;
}

function verdict(metricCount, logCount) {
  if (metricCount && logCount) return 'all three signals arrived (traces, metrics, logs), with no code change in either app';
  const extra = [metricCount && 'metrics', logCount && 'logs'].filter(Boolean);
  const missing = [!metricCount && 'metrics', !logCount && 'logs'].filter(Boolean);
  return (
    `traces${extra.length ? ` and ${extra.join(' and ')}` : ''} arrived from both apps, with no code change in either` +
    c.dim(` (no ${missing.join(' or ')} received: not expected yet)`)
  );
}
