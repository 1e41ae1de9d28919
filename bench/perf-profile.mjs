// Where a configuration's CPU goes per request, by part of the preload, measured by the kernel's
// sampler rather than V8's: `perf record -e cpu-clock -g` on the app under a fixed request rate,
// after a warm-up, with --perf-basic-prof so that JIT frames have names. Unlike --cpu-prof it
// sees every thread (V8's GC and compiler workers), native and kernel time, and it does not slow
// the app down by itself.
//
//   ./run.sh perf <config> [seconds=8]      RATE (req/s, default 4000), WARM (s, default 6), APP_LOG as in run.mjs,
//                                           TOP=n: under each part, its n heaviest JavaScript functions (a sample
//                                           goes to the innermost JS frame, so builtins count for their caller),
//                                           PERF_SCRIPT=file: also keep every sample's stack (`perf script`) there
//
// Each sample goes to the outermost part of the preload on its stack (the server span's
// subscribers, the access log, the console hook, the log pipeline, metrics, the export through
// gRPC), else to the app or to Node. Run it for `bare-cjs` and a nodetel config with the same
// RATE and APP_LOG and compare the totals: the perf scale is inflated by sampling, so read the
// parts against the bare total, not as microseconds of a real run. Needs `perf` (Debian:
// linux-perf) and a kernel that lets it sample (cpu-clock works without hardware counters).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_LOG_ENV, BENCH_DIR as HERE, configAndSeconds } from './configs.mjs';
import { startWithSink, usersLoad } from './load.mjs';

/** Outermost match wins; the first rule that any frame matches names the part. */
const PARTS = [
  ['console hook', (f) => f.includes('/preload/logs/console.js')],
  ['access log', (f) => f.includes('/preload/logs/access-log.js')],
  ['server span', (f) => f.includes('/preload/http/server.js')],
  ['log pipeline', (f) => f.includes('/preload/logs/')],
  // Ours, and the SDK's reader collecting and exporting on its timer (the gRPC send after its
  // first await has no metrics frame left and counts as export).
  ['metrics', (f) => f.includes('/preload/metrics/') || f.includes('/@opentelemetry/sdk-metrics/') || f.includes('/exporter-metrics-otlp-')],
  ['export (batcher, gRPC, http2)', (f) => f.includes('/preload/export/') || f.includes('grpc-js') || f.includes('http2') || f.includes('otlp-')],
  ['other preload', (f) => f.includes('/dist/preload/')],
];

function attribute(script, requests, hz) {
  const totals = new Map();
  const leaves = new Map(); // part -> (innermost frame -> samples), for TOP
  const frameName = (f) => f.replace(/^[0-9a-f]+\s+/, '').replace(/\s+\(.*\)$/, '');
  let thread = null;
  let frames = [];
  const flush = () => {
    if (thread === null) return;
    let part;
    if (thread !== 'MainThread') part = `V8 worker threads (GC, compiler)`;
    else {
      const rootFirst = frames.slice().reverse();
      for (const frame of rootFirst) {
        part = PARTS.find(([, match]) => match(frame))?.[0];
        if (part) break;
      }
      part ??= frames.some((f) => /\/bench\/app\.(c|m)js/.test(f)) ? 'app (and what it calls)' : 'node (http, streams, timers, GC)';
    }
    totals.set(part, (totals.get(part) ?? 0) + 1);
    if (TOP > 0 && frames.length > 0) {
      if (!leaves.has(part)) leaves.set(part, new Map());
      const byLeaf = leaves.get(part);
      // The innermost JavaScript function, so that builtins and the runtime count for their caller.
      const leaf = frameName(frames.find((f) => f.includes('JS:')) ?? frames[0]);
      byLeaf.set(leaf, (byLeaf.get(leaf) ?? 0) + 1);
    }
  };
  for (const line of script.split('\n')) {
    if (line.trim() === '') {
      flush();
      thread = null;
      frames = [];
    } else if (!/^\s/.test(line)) {
      thread = line.trim().split(/\s+/)[0];
      frames = [];
    } else frames.push(line.trim());
  }
  flush();
  const perRequest = (samples) => ((samples * 1e6) / hz / requests).toFixed(1).padStart(7);
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  let out = `${perRequest(all)}  total (perf µs per request)\n`;
  for (const [part, samples] of [...totals].sort((a, b) => b[1] - a[1])) {
    out += `${perRequest(samples)}  ${part}\n`;
    const byLeaf = [...(leaves.get(part) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, TOP);
    for (const [leaf, n] of byLeaf) out += `         ${perRequest(n)}  ${leaf.slice(0, 110)}\n`;
  }
  return out;
}

const { name, cfg, seconds } = configAndSeconds('perf-profile.mjs', 8);
if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('perf-profile.mjs needs `perf` (Debian: apt-get install linux-perf)');
  process.exit(2);
}
const RATE = Number(process.env.RATE ?? 4000); // 0: as fast as the app goes (the requests in the window are then prorated)
const WARM = Number(process.env.WARM ?? 6);
const HZ = 1999;
const TOP = Number(process.env.TOP ?? 0);
const data = `/tmp/nodetel-perf-${process.pid}.data`;

const { child, port, stop } = await startWithSink(cfg, ['--perf-basic-prof']);
try {
  const load = usersLoad(port, WARM + seconds + 1, { rate: RATE });
  await sleep(WARM * 1000);
  // Not spawnSync: the load generator runs in this process and must go on while perf records.
  const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(HZ), '-g', '-o', data, '-p', String(child.pid), '--', 'sleep', String(seconds)], { stdio: 'inherit' });
  await new Promise((resolve) => perf.once('exit', resolve));
  const result = await load;
  // The load ran at a fixed rate, so the recorded window saw its share of the requests.
  const requests = Math.round((result.requests.total * seconds) / (WARM + seconds + 1));
  const script = execFileSync('perf', ['script', '-i', data, '-F', 'comm,ip,sym'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  console.log(`${name}${APP_LOG_ENV.LOG_PER_REQUEST ? ` (APP_LOG=${APP_LOG_ENV.LOG_PER_REQUEST})` : ''}: ${RATE} req/s, ${seconds} s recorded after ${WARM} s, ${requests} requests in the window`);
  process.stdout.write(attribute(script, requests, HZ));
  if (process.env.PERF_SCRIPT) writeFileSync(process.env.PERF_SCRIPT, script);
} finally {
  await stop();
  rmSync(data, { force: true });
  // --perf-basic-prof writes the JIT symbol map, and V8 opens its log file too.
  rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  for (const f of readdirSync(HERE)) if (f.startsWith('isolate-') && f.endsWith(`-${child.pid}-v8.log`)) rmSync(join(HERE, f));
}
process.exit(0); // autocannon leaves timers behind
