// Overhead benchmark: bare node vs the nodetel preload vs OTel's http auto-instrumentation,
// on a plain node:http app (ESM app.mjs and its CommonJS twin app.cjs).
//
// Run with the pinned Node (./run.sh does this):   node_modules/.bin/node run.mjs
// Knobs (env): ROUNDS=3 DURATION=10 WARMUP=2 CONNECTIONS=32 STARTUP_SPAWNS=5
//              ONLY=bare,nodetel   (subset of CONFIGS by name)
//              SIGNALS=traces|all  (metrics and logs exporters none|otlp)
//              PRELOAD=/abs/path   (default <repo>/preload)
//              PRELOAD_B=/abs/path (adds `<name>@b` twins of the nodetel configs on that build; see configs.mjs)
//              APP_LOG=console|winston|pino (1 = console): every app logs one line per request
//              RATE=<req/s> (fixed rate for every config; default: as fast as each goes)
//              APP_NODE_FLAGS='--flag ...' (Node flags for every app)
//              APP_STDOUT=pipe|file (where the app's stdout goes: a pipe this harness reads, or a file)
// Output: progress on stderr; the summary (markdown) on stdout and in
// results/summary-<stamp>.md; one JSON line per run in results/raw-<stamp>.jsonl.
//
// Configurations alternate within each round (A B C ... A B C ...), and every ratio
// is taken against the base configuration of the same round, then the median over
// rounds is reported. Each configuration/round gets a fresh sink; STARTUP_SPAWNS
// spawns time spawn() -> `listening`; one more spawn serves the load (WARMUP s
// unmeasured, then DURATION s measured); then RSS is read, the app gets SIGTERM (so
// the preload flushes) and prints how many requests it served, and the sink's span
// count is compared with that number.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_LOG_ENV, BENCH_DIR as HERE, CONFIGS, PRELOAD, PRELOAD_B, SIGNALS, childEnv, preloadProblem } from './configs.mjs';
import { usersLoad } from './load.mjs';
import { onAppCpu, pinToOtherCpus } from './pin.mjs';

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const ROUNDS = num(process.env.ROUNDS, 3);
const DURATION = num(process.env.DURATION, 10);
const WARMUP = num(process.env.WARMUP, 2);
const CONNECTIONS = num(process.env.CONNECTIONS, 32);
const STARTUP_SPAWNS = num(process.env.STARTUP_SPAWNS, 5);
// RATE=n: n requests a second in all, for every configuration (CPU per request compared at an
// equal rate); unset or 0: as fast as each app goes (saturation), as the shared anchors measure.
const RATE = num(process.env.RATE, 0);
// Node flags for every app, bare or not (e.g. --trace-gc with APP_STDOUT=file, to count collections).
const APP_NODE_FLAGS = (process.env.APP_NODE_FLAGS ?? '').split(' ').filter(Boolean);
// Where the app's stdout goes: a pipe this harness reads (the default), or a file.
const APP_STDOUT = process.env.APP_STDOUT || 'pipe';
if (!['pipe', 'file'].includes(APP_STDOUT)) {
  console.error(`APP_STDOUT must be pipe or file, not ${APP_STDOUT}`);
  process.exit(2);
}
const NODE = process.execPath;
const log = (...a) => console.error(...a);
// PIN=1 (pin.mjs): the app under test gets the last CPU to itself and this harness (load
// generator and sink) the others: on a 2-core machine their contention is most of the
// run-to-run spread of CPU per request.
const PIN = process.env.PIN === '1' ? pinToOtherCpus() : null;

const only = process.env.ONLY ? process.env.ONLY.split(',').map((s) => s.trim()) : null;
const unknown = (only ?? []).filter((n) => !CONFIGS.some((c) => c.name === n));
if (unknown.length) {
  log(`unknown configuration(s): ${unknown.join(', ')}; known: ${CONFIGS.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
const configs = CONFIGS.filter((c) => !only || only.includes(c.name));
if (configs.some((c) => c.args.includes(PRELOAD))) {
  const problem = preloadProblem();
  if (problem) {
    log(`cannot load the preload under test: ${problem}`);
    log(`to measure without it: ONLY=${CONFIGS.filter((c) => !c.args.includes(PRELOAD)).map((c) => c.name).join(',')} ./run.sh`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------
// Processes

// Spawn a child; `ready` resolves with [ms since spawn, match] once a stdout line matches `re`.
// `toFile`: the child's stdout is a file (APP_STDOUT=file), which this process polls, instead of a
// pipe this process reads.
function spawnUntil(args, env, re, { pin = false, timeoutMs = 30_000, toFile = false } = {}) {
  const t0 = process.hrtime.bigint();
  const [command, argv] = onAppCpu(pin && PIN, NODE, args);
  const file = toFile ? join(mkdtempSync(join(tmpdir(), 'bench-stdout-')), 'stdout') : null;
  const fd = file ? openSync(file, 'w') : null;
  const child = spawn(command, argv, { cwd: HERE, env, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  if (fd !== null) closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => { if (err.length < 20_000) err += c; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re} from ${args.join(' ')}\n${out}\n${err}`)), timeoutMs);
    let done = false;
    const onOutput = (c) => {
      const t = process.hrtime.bigint();
      out += c;
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = !done && out.split('\n').map((l) => re.exec(l)).find(Boolean);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolve([Number(t - t0) / 1e6, m]);
      }
    };
    if (file) {
      // Polled every millisecond until the line is there (start-up times stay within 1 ms).
      const poll = setInterval(() => {
        onOutput(readFileSync(file, 'utf8').slice(out.length));
        if (done) clearInterval(poll);
      }, 1);
      exited.then(() => clearInterval(poll));
    } else {
      child.stdout.on('data', onOutput);
    }
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before printing ${re}\n${out}\n${err}`));
    });
  });
  ready.catch(() => {});
  // From a file, the last 100 kB once the child has exited (its `served` line).
  const stdout = () => (file ? tail(file, 100_000) : out);
  exited.then(() => file && !process.env.KEEP_STDOUT && setTimeout(() => rmSync(dirname(file), { recursive: true, force: true }), 1000));
  return { child, ready, exited, stdout, stderr: () => err };
}

function tail(file, bytes) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

// SIGTERM/SIGKILL a child; SIGKILL after graceMs. Returns how long it took.
async function stopChild(child, exited, signal, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, forced: false };
  const t0 = Date.now();
  child.kill(signal);
  const r = await Promise.race([exited, sleep(graceMs).then(() => null)]);
  if (r === null) {
    child.kill('SIGKILL');
    await exited;
    return { ms: Date.now() - t0, forced: true };
  }
  return { ms: Date.now() - t0, forced: false };
}

const rssMb = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1]) / 1024;
const CLK_TCK = 100; // Linux USER_HZ
/** A process's counters, all threads, from /proc/<pid>/stat: CPU seconds (user + system, and system alone) and minor page faults (first touches of memory). */
function counters(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const sys = Number(f[12]) / CLK_TCK;
  return { cpu: Number(f[11]) / CLK_TCK + sys, sys, faults: Number(f[7]) };
}
const cpuSec = (pid) => counters(pid).cpu;

// How often this harness (the load generator, the reader of the app's stdout) went to sleep
// waiting: when it sleeps, the app's next write to it (a response, a console line) wakes it, and
// pays for that.
function voluntarySwitches(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^voluntary_ctxt_switches:\s+(\d+)/m)[1]);
}

const load = (port, seconds) => usersLoad(port, seconds, { connections: CONNECTIONS, rate: RATE });

// ---------------------------------------------------------------------------
// One configuration, one round

async function runOne(cfg) {
  const sink = spawnUntil(['sink.mjs'], childEnv({}), /^sink ready (\d+) (\d+)$/);
  const [, [, grpcPort, controlPort]] = await sink.ready;
  const control = async (path, method = 'GET') => (await fetch(`http://127.0.0.1:${controlPort}${path}`, { method })).json();
  const env = childEnv({ ...cfg.env, ...APP_LOG_ENV, PORT: '0', HOST: '127.0.0.1' }, `127.0.0.1:${grpcPort}`);
  const args = [...APP_NODE_FLAGS, ...cfg.args, cfg.app];
  const LISTENING = /^listening (\d+)$/;
  try {
    // (a) start-up: spawn -> `listening`
    const startup = [];
    for (let i = 0; i < STARTUP_SPAWNS; i++) {
      const app = spawnUntil(args, env, LISTENING, { pin: true, toFile: APP_STDOUT === 'file' });
      startup.push((await app.ready)[0]);
      await stopChild(app.child, app.exited, 'SIGKILL', 5000);
    }
    // (b) load
    const app = spawnUntil(args, env, LISTENING, { pin: true, toFile: APP_STDOUT === 'file' });
    const [, [, port]] = await app.ready;
    const pid = app.child.pid;
    await control('/reset', 'POST');
    const warm = WARMUP > 0 ? await load(port, WARMUP) : null;
    const app0 = counters(pid);
    const switches0 = voluntarySwitches(process.pid);
    const sinkCpu0 = cpuSec(sink.child.pid);
    const gen0 = process.cpuUsage();
    const res = await load(port, DURATION);
    const gen = process.cpuUsage(gen0);
    const sinkCpu1 = cpuSec(sink.child.pid);
    const app1 = counters(pid);
    const switches1 = voluntarySwitches(process.pid);
    // (c) memory right after the load
    const rss = rssMb(pid);
    // (d) telemetry: stop the app gracefully (the preload flushes), then read the sink
    const stop = await stopChild(app.child, app.exited, 'SIGTERM', 10_000);
    const served = Number((app.stdout().match(/^served (\d+)$/m) ?? [])[1] ?? NaN);
    const sinkStats = await control('/stats');
    return {
      config: cfg.name,
      base: cfg.base,
      startupMs: median(startup),
      startupAll: startup,
      rps: res.requests.average,
      p50: res.latency.p50,
      p99: res.latency.p99,
      measured: res.requests.total,
      // answered by the app over warm-up + load, incl. responses autocannon stopped waiting for
      served,
      counted: res.requests.total + (warm ? warm.requests.total : 0),
      errors: res.errors + res.timeouts + res.non2xx + (warm ? warm.errors + warm.timeouts + warm.non2xx : 0),
      rssMb: rss,
      cpuUsPerReq: ((app1.cpu - app0.cpu) * 1e6) / res.requests.total,
      appCpuPct: ((app1.cpu - app0.cpu) / DURATION) * 100,
      sysUsPerReq: ((app1.sys - app0.sys) * 1e6) / res.requests.total,
      faultsPerReq: (app1.faults - app0.faults) / res.requests.total,
      harnessSleepsPerReq: (switches1 - switches0) / res.requests.total,
      sinkCpuPct: ((sinkCpu1 - sinkCpu0) / DURATION) * 100,
      loadgenCpuPct: ((gen.user + gen.system) / 1e6 / DURATION) * 100,
      stopMs: stop.ms,
      stopForced: stop.forced,
      sink: sinkStats,
      stderrTail: app.stderr().slice(-400),
    };
  } finally {
    await stopChild(sink.child, sink.exited, 'SIGTERM', 3000);
  }
}

// ---------------------------------------------------------------------------
// Helpers for the summary

function median(xs) {
  const a = xs.filter(Number.isFinite).sort((p, q) => p - q);
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const range = (xs, d = 0) => {
  const a = xs.filter(Number.isFinite);
  return a.length ? `${fmt(Math.min(...a), d)}–${fmt(Math.max(...a), d)}` : '–';
};
const versionOf = (p) => {
  try {
    return JSON.parse(readFileSync(join(HERE, 'node_modules', p, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
};
function gitDescribe() {
  const r = spawnSync('git', ['-C', HERE, 'log', '-1', '--format=%h %cs'], { encoding: 'utf8' });
  if (r.status !== 0) return 'no commit';
  const dirty = spawnSync('git', ['-C', HERE, 'status', '--porcelain', '--', '../preload'], { encoding: 'utf8' }).stdout.trim();
  return r.stdout.trim() + (dirty ? ' (preload/ has uncommitted changes)' : '');
}

// "spans / served" for one configuration, summed over rounds, with the verdict.
function spanCell(cfg, rs) {
  const spans = rs.reduce((s, r) => s + r.sink.traces.items, 0);
  const served = rs.reduce((s, r) => s + r.served, 0);
  const cell = `${spans} / ${Number.isFinite(served) ? served : '?'}`;
  if (!Number.isFinite(served)) return `${cell} (app did not report)`;
  if (!cfg.traced) return spans === 0 ? `${cell} (${cfg.untraced ?? 'none expected'})` : `${cell} (unexpected spans)`;
  const bad = rs.filter((r) => r.sink.traces.items !== r.served);
  if (bad.length === 0) return `${cell} ✓`;
  const diff = spans - served;
  return `${cell} ✗ ${diff < 0 ? `${-diff} lost` : `${diff} extra`} (${bad.length}/${rs.length} rounds off)`;
}

// ---------------------------------------------------------------------------
// Main

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
mkdirSync(join(HERE, 'results'), { recursive: true });
const rawPath = join(HERE, 'results', `raw-${stamp}.jsonl`);
const sumPath = join(HERE, 'results', `summary-${stamp}.md`);

const perRun = STARTUP_SPAWNS * 0.3 + WARMUP + DURATION + 1.5;
log(`node ${process.version}; rounds=${ROUNDS} duration=${DURATION}s warmup=${WARMUP}s connections=${CONNECTIONS} signals=${SIGNALS}`);
log(`configs: ${configs.map((c) => c.name).join(', ')} (about ${Math.ceil((ROUNDS * configs.length * perRun) / 60)} min)`);
log(`preload: ${PRELOAD}${PRELOAD_B ? `; @b configs: ${PRELOAD_B}` : ''}`);

const rows = [];
const t0 = Date.now();
for (let round = 1; round <= ROUNDS; round++) {
  for (const cfg of configs) {
    let row;
    try {
      row = { round, ...(await runOne(cfg)) };
    } catch (e) {
      row = { round, config: cfg.name, base: cfg.base, error: String(e.stack || e).slice(0, 2000) };
    }
    rows.push(row);
    appendFileSync(rawPath, JSON.stringify(row) + '\n');
    const at = `[r${round} ${fmt((Date.now() - t0) / 1000)}s] ${cfg.name.padEnd(14)}`;
    if (row.error) log(`${at} ERROR ${row.error.split('\n').slice(0, 3).join(' | ')}`);
    else
      log(
        `${at} cpu ${fmt(row.cpuUsPerReq)}µs/req  ${fmt(row.rps)} req/s  p99 ${row.p99}ms  rss ${fmt(row.rssMb)}MB  ` +
          `startup ${fmt(row.startupMs)}ms  spans ${row.sink.traces.items}/served ${row.served}  ` +
          `(cpu app ${fmt(row.appCpuPct)}% sys ${fmt(row.sysUsPerReq, 1)}µs/req faults ${fmt(row.faultsPerReq, 2)}/req harness sleeps ${fmt(row.harnessSleepsPerReq, 2)}/req sink ${fmt(row.sinkCpuPct)}% gen ${fmt(row.loadgenCpuPct)}%, errors ${row.errors}, ` +
          `stop ${row.stopMs}ms${row.stopForced ? ' KILLED' : ''})` +
          (row.stderrTail.trim() ? `\n    app stderr: ${row.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''),
      );
  }
}

const ok = rows.filter((r) => !r.error);
const of = (name) => ok.filter((r) => r.config === name);
// Median over rounds of (config / base of the same round).
const ratio = (cfg, key) => {
  const rs = [];
  for (const a of of(cfg.name)) {
    const b = ok.find((x) => x.config === cfg.base && x.round === a.round);
    if (b && b[key]) rs.push(a[key] / b[key]);
  }
  return rs.length ? `${median(rs).toFixed(2)}×` : '–';
};
const COLS = [
  ['cpuUsPerReq', 'CPU µs/req', 0],
  ['rps', 'req/s', 0],
  ['p99', 'p99 ms', 0],
  ['rssMb', 'RSS MB', 0],
  ['startupMs', 'startup ms', 0],
];

let md = `## nodetel overhead, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n`;
md += `Node ${process.version}, ${ROUNDS} round(s), configurations alternated within each round; autocannon ${CONNECTIONS} connections, `;
md += `${WARMUP} s warm-up + ${DURATION} s measured, GET /users/<pseudo-random id> on 127.0.0.1; signals: ${SIGNALS}; `;
if (PIN) md += `app pinned to CPU ${PIN.app}, load generator and sink to CPU ${PIN.harness} (PIN=1); `;
md += `preload ${PRELOAD}${PRELOAD.startsWith(resolve(HERE, '..') + '/') ? ` (repo at ${gitDescribe()})` : ''}${PRELOAD_B ? `; \`@b\` rows: ${PRELOAD_B}` : ''}.\n\n`;
md += `Figures are medians over rounds; × columns are the median of per-round ratios to the \`vs\` row of the same round.\n\n`;
md += `| config | vs | ${COLS.map((c) => c[1]).join(' | ')} | spans / served | ${COLS.map((c) => `${c[1].split(' ')[0]} ×`).join(' | ')} |\n`;
md += `|---|---|${COLS.map(() => '--:').join('|')}|---|${COLS.map(() => '--:').join('|')}|\n`;
for (const c of configs) {
  const rs = of(c.name);
  if (!rs.length) {
    md += `| ${c.name} | ${c.base} | ${COLS.map(() => 'failed').join(' | ')} | – | ${COLS.map(() => '–').join(' | ')} |\n`;
    continue;
  }
  const vals = COLS.map(([k, , d]) => fmt(median(rs.map((r) => r[k])), d));
  md += `| ${c.name} | ${c.base} | ${vals.join(' | ')} | ${spanCell(c, rs)} | ${COLS.map(([k]) => ratio(c, k)).join(' | ')} |\n`;
}

md += `\n### Spread over rounds and side figures\n\n`;
md += `| config | CPU µs/req min–max | req/s min–max | p50 ms | RSS MB min–max | startup ms min–max | CPU % app / sink / load gen | app sys µs/req · faults/req · harness sleeps/req | OTLP B/span | metrics / logs items | errors | stop ms |\n`;
md += `|---|---|---|---|---|---|---|---|---|---|---|---|\n`;
for (const c of configs) {
  const rs = of(c.name);
  if (!rs.length) continue;
  const m = (f) => median(rs.map(f));
  const t = rs.reduce((s, r) => [s[0] + r.sink.traces.bytes, s[1] + r.sink.traces.items], [0, 0]);
  md += `| ${c.name} | ${range(rs.map((r) => r.cpuUsPerReq))} | ${range(rs.map((r) => r.rps))} | ${fmt(m((r) => r.p50))} | `;
  md += `${range(rs.map((r) => r.rssMb))} | ${range(rs.map((r) => r.startupMs))} | `;
  md += `${fmt(m((r) => r.appCpuPct))} / ${fmt(m((r) => r.sinkCpuPct))} / ${fmt(m((r) => r.loadgenCpuPct))} | ${fmt(m((r) => r.sysUsPerReq), 1)} · ${fmt(m((r) => r.faultsPerReq), 2)} · ${fmt(m((r) => r.harnessSleepsPerReq), 2)} | ${t[1] ? fmt(t[0] / t[1]) : '–'} | `;
  md += `${fmt(m((r) => r.sink.metrics.items))} / ${fmt(m((r) => r.sink.logs.items))} | ${rs.reduce((s, r) => s + r.errors, 0)} | `;
  md += `${fmt(m((r) => r.stopMs))}${rs.some((r) => r.stopForced) ? ' (killed)' : ''} |\n`;
}
md += `\n`;

md += `Columns: CPU µs/req = app CPU (user+sys, all threads) over the measured window ÷ requests in it; `;
md += `RSS = VmRSS right after the load; startup = spawn → \`listening\`, median of ${STARTUP_SPAWNS} spawns; `;
md += `spans / served = spans the sink received vs requests the app itself counted (warm-up, load and the in-flight ones at the end), summed over rounds; ✓ = equal in every round; `;
md += `sys = the kernel's share of the app's CPU; faults = its minor page faults; harness sleeps = how often this harness (load generator, reader of the app's stdout) waited, each a wake-up the app's next write to it pays for.\n\n`;
md += `Caveats: ${RATE ? `load at ${RATE} req/s for every config; ` : ''}${APP_STDOUT === 'file' ? 'app stdout to a file; ' : ''}${cpus().length} cores${PIN ? ` (app on CPU ${PIN.app}, harness on ${PIN.harness})` : ''}; the load generator takes about one, so bare req/s is a floor `;
md += `and req/s ratios understate the overhead. Trust CPU µs/req most. p99 has 1 ms resolution.\n`;
for (const c of configs) if (c.note) md += `\nNote: ${c.note}\n`;
const noisy = configs.map((c) => [c.name, of(c.name).find((r) => r.stderrTail.trim())]).filter(([, r]) => r);
if (noisy.length) {
  md += `\n### App stderr (last lines, first round that had any)\n\n`;
  for (const [name, r] of noisy) md += `- ${name}: \`${r.stderrTail.trim().split('\n').slice(-3).join(' | ')}\`\n`;
}
const failed = rows.filter((r) => r.error);
if (failed.length) {
  md += `\n### Failures\n\n`;
  for (const f of failed) md += `- round ${f.round} ${f.config}: ${f.error.split('\n').slice(0, 3).join(' | ')}\n`;
}
const PKGS = ['node', 'autocannon', '@opentelemetry/auto-instrumentations-node', '@opentelemetry/sdk-node', '@opentelemetry/instrumentation-http', '@grpc/grpc-js'];
md += `\nVersions (bench/node_modules): ${PKGS.map((p) => `${p} ${versionOf(p)}`).join(', ')}. Raw rows: results/${rawPath.split('/').pop()}\n\n`;

writeFileSync(sumPath, md);
process.stdout.write(md);
log(`summary written to ${sumPath} (${fmt((Date.now() - t0) / 1000)} s)`);
// autocannon leaves timers behind that would hold the process for ~10 s more.
process.exit(failed.length ? 1 : 0);
