// Instructions per request, counted by valgrind (cachegrind, `I refs`) rather than timed, so the
// host's swings do not enter: bare-cjs gives 136,000-139,000 run after run. With the preload the
// count still moves with when V8's collections and compilations land in the measured window (three
// runs of nodetel+all-cjs: 231,000, 265,000 and 339,000): run it a few times and read the median.
// The CommonJS app is fed requests in-process (inproc.cjs), so the count
// is the app's, Node's and the preload's own user-space work per request: no kernel, no sockets,
// no load generator. Each configuration runs twice, with one and with five measured batches after
// the same warm-up; the difference over the four extra batches is per request, start-up and warm-up
// cancelled out.
//
//   node_modules/.bin/node instructions.mjs [configs=bare-cjs,nodetel+all-cjs]     APP_LOG, BATCH (default 2000),
//   EXTRA_ENV='{"NODETEL_ACCESS_LOG":"false"}' (added to the preload configs' environment: what one part costs)
//
// What the kernel does for a request (on this host a system call costs 1.1 µs) is not counted here,
// so the ratio is the user-space one; run.mjs measures CPU time, kernel included.
import { spawnSync } from 'node:child_process';
import { APP_LOG_ENV, BENCH_DIR, childEnv, inprocConfigs } from './configs.mjs';
import { startSink } from './sink-process.mjs';

// Checked before valgrind is: a wrong name fails at once.
const configs = inprocConfigs(process.argv[2] ?? 'bare-cjs,nodetel+all-cjs');
const BATCH = Number(process.env.BATCH ?? 2000);
const EXTRA = JSON.parse(process.env.EXTRA_ENV ?? '{}');
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('instructions.mjs needs valgrind (Debian: apt-get install valgrind)');
  process.exit(2);
}

const { sink, grpcPort } = await startSink();

/** Instructions of a whole run of `cfg` with `k` measured batches. */
function instructions(cfg, k) {
  const env = childEnv({ ...cfg.env, ...(cfg.args.length ? EXTRA : {}), ...APP_LOG_ENV, BATCH: String(BATCH), K: String(k) }, `127.0.0.1:${grpcPort}`);
  const args = ['--tool=cachegrind', '--cache-sim=no', '--branch-sim=no', '--cachegrind-out-file=/dev/null', '--smc-check=all-non-file', process.execPath, ...cfg.args, 'inproc.cjs'];
  const run = spawnSync('valgrind', args, { cwd: BENCH_DIR, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const m = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (!m || !run.stderr.includes('inproc ')) throw new Error(`${cfg.name}: no count (${run.stderr.slice(-400)})`);
  return Number(m[1].replace(/,/g, ''));
}

const perRequest = new Map();
try {
  for (const cfg of configs) {
    const one = instructions(cfg, 1);
    const five = instructions(cfg, 5);
    perRequest.set(cfg.name, (five - one) / (4 * BATCH));
    console.error(`${cfg.name}: ${Math.round(perRequest.get(cfg.name))} instructions per request`);
  }
} finally {
  sink.kill();
}
const extra = Object.keys(EXTRA).length ? ` (preload configs with ${JSON.stringify(EXTRA)})` : '';
console.log(`| config | vs | instructions / request | × |\n|---|---|--:|--:|`);
for (const { name, base } of configs) {
  const n = perRequest.get(name);
  const b = perRequest.get(base);
  console.log(`| ${name}${name === base ? '' : extra} | ${base} | ${Math.round(n).toLocaleString('en')} | ${b ? `${(n / b).toFixed(2)}×` : '–'} |`);
}
