// CPU time per request of the CommonJS app fed in-process (inproc.cjs: no sockets, no load
// generator, so none of the kernel's work for a request and none of the host's wake-ups), each
// configuration in a process of its own, the configurations alternated round by round. A run's
// figure is its first-quartile batch (the host's slow spikes land in the others); a
// configuration's is the least of its runs'. Finer than run.mjs for a change of a few per cent,
// and timed, unlike instructions.mjs (which counts instructions, not what the caches and the
// kernel make of them).
//
//   node_modules/.bin/node inproc-time.mjs [configs=bare-cjs,nodetel+all-cjs]     ROUNDS (default 3),
//   BATCH (default 2000), BATCHES (measured, default 30), APP_LOG, PIN=1 (the app on the last CPU),
//   EXTRA_ENV='{"NODETEL_ACCESS_LOG":"false"}' (added to the preload configs' environment)
import { spawn } from 'node:child_process';
import { APP_LOG_ENV, BENCH_DIR, childEnv, inprocConfigs } from './configs.mjs';
import { onAppCpu, pinToOtherCpus } from './pin.mjs';
import { startSink } from './sink-process.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCH = Number(process.env.BATCH ?? 2000);
const BATCHES = Number(process.env.BATCHES ?? 30);
const EXTRA = JSON.parse(process.env.EXTRA_ENV ?? '{}');
const configs = inprocConfigs(process.argv[2] ?? 'bare-cjs,nodetel+all-cjs');
const pin = process.env.PIN === '1' ? pinToOtherCpus() : undefined;
const { sink, grpcPort } = await startSink();

/** The first-quartile batch of one run of `cfg`, in µs of CPU per request. */
function run(cfg) {
  const env = childEnv({ ...cfg.env, ...(cfg.args.length ? EXTRA : {}), ...APP_LOG_ENV, BATCH: String(BATCH), K: String(BATCHES), TIMED: '1' }, `127.0.0.1:${grpcPort}`);
  const [command, args] = onAppCpu(pin, process.execPath, [...cfg.args, 'inproc.cjs']);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: BENCH_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => {
      const batches = [...err.matchAll(/^batch ([\d.]+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (code !== 0 || batches.length !== BATCHES) return reject(new Error(`${cfg.name}: exited ${code} after ${batches.length} batches (${err.slice(-400)})`));
      resolve(batches[Math.floor(batches.length / 4)]);
    });
  });
}

const runs = new Map(configs.map((c) => [c.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const cfg of configs) {
      const q1 = await run(cfg);
      runs.get(cfg.name).push(q1);
      console.error(`round ${round + 1} ${cfg.name}: ${q1.toFixed(2)} µs per request`);
    }
  }
} finally {
  sink.kill();
}
const least = new Map([...runs].map(([name, r]) => [name, Math.min(...r)]));
const extra = Object.keys(EXTRA).length ? ` (preload configs with ${JSON.stringify(EXTRA)})` : '';
console.log(`| config | vs | CPU µs / request (runs) | × |\n|---|---|--:|--:|`);
for (const cfg of configs) {
  const b = least.get(cfg.base);
  const n = least.get(cfg.name);
  const each = runs.get(cfg.name).map((x) => x.toFixed(1)).join(', ');
  console.log(`| ${cfg.name}${cfg.args.length ? extra : ''} | ${cfg.base} | ${n.toFixed(2)} (${each}) | ${b ? `${(n / b).toFixed(2)}×` : '–'} |`);
}
