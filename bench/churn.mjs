// What a configuration makes the process allocate and fault in per request, at a fixed request
// rate after a warm-up: bytes allocated on V8's heap (the `allocated` of every collection, from
// --trace-gc-nvp), bytes promoted to the old generation, and minor page faults (/proc/<pid>/stat).
// Unlike CPU time these hardly depend on how busy the host is, so they show a change to the
// per-request path even where the rounds of run.mjs spread too far to (a page fault costs 0.1 µs
// on some hosts and 11 µs on others: see bench/HISTORY.md, the afternoon of 2026-12-06).
//
//   ./run.sh churn <config> [seconds=6]     RATE (req/s, default 4000), WARM (s, default 4), APP_LOG as in run.mjs
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_LOG_ENV, configAndSeconds } from './configs.mjs';
import { startWithSink, usersLoad } from './load.mjs';

const { name, cfg, seconds } = configAndSeconds('churn.mjs', 6);
const RATE = Number(process.env.RATE ?? 4000);
const WARM = Number(process.env.WARM ?? 4);

/** Minor page faults of the process so far (field 10 of /proc/<pid>/stat). */
const minorFaults = (pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]);

const { child, port, stop } = await startWithSink(cfg, ['--trace-gc-nvp']);
try {
  // Collections are counted from the end of the warm-up: each line gives what was allocated and
  // promoted since the one before.
  let measuring = false;
  const gc = { count: 0, allocated: 0, promoted: 0, full: 0, fullPause: 0 };
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    if (!measuring) return;
    for (const line of lines) {
      const allocated = /\ballocated=(\d+)/.exec(line);
      if (!allocated) continue;
      gc.count++;
      gc.allocated += Number(allocated[1]);
      gc.promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
      // Full collections (gc=mc): their marking runs on worker threads too, beyond the pause.
      if (/\bgc=mc\b/.test(line)) {
        gc.full++;
        gc.fullPause += Number(/\bpause=([\d.]+)/.exec(line)?.[1] ?? 0);
      }
    }
  });
  const load = usersLoad(port, WARM + seconds + 1, { rate: RATE });
  await sleep(WARM * 1000);
  measuring = true;
  const faults0 = minorFaults(child.pid);
  await sleep(seconds * 1000);
  measuring = false;
  const faults = minorFaults(child.pid) - faults0;
  const result = await load;
  // The load ran at a fixed rate, so the measured window saw its share of the requests.
  const requests = Math.round((result.requests.total * seconds) / (WARM + seconds + 1));
  const per = (n) => (n / requests).toFixed(n / requests < 10 ? 3 : 0);
  console.log(`${name}${APP_LOG_ENV.LOG_PER_REQUEST ? ` (APP_LOG=${APP_LOG_ENV.LOG_PER_REQUEST})` : ''}: ${RATE} req/s, ${seconds} s after ${WARM} s, ${requests} requests in the window`);
  console.log(`  ${per(gc.allocated).padStart(8)}  bytes allocated per request (${gc.count} collections)`);
  console.log(`  ${per(gc.promoted).padStart(8)}  bytes promoted per request`);
  console.log(`  ${per(faults).padStart(8)}  minor page faults per request (${faults} in all)`);
  console.log(`  ${String(gc.full).padStart(8)}  full collections (${gc.fullPause.toFixed(1)} ms of pauses)`);
} finally {
  await stop();
}
process.exit(0); // autocannon leaves timers behind
