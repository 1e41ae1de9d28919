// CPU-profile one configuration under load and summarise where the time goes.
//   ./run.sh profile <config> [seconds=10]          (RATE=<req/s> caps the load; APP_LOG as in run.mjs)
//   node_modules/.bin/node profile.mjs --summarise file.cpuprofile
// Starts a sink, runs the app with --cpu-prof (written on graceful exit) under the same
// autocannon load as run.mjs, then prints self time by package (node_modules/<pkg>,
// node: internals, app, GC) and the top functions, in % of busy time and µs/request.
// Profiles go to profiles/<config>/. V8's sampler on 2 cores misattributes some native
// time; the CPU µs/req of run.mjs is the figure to trust, this only says where it goes.
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR as HERE, configAndSeconds } from './configs.mjs';
import { startWithSink, usersLoad } from './load.mjs';

function summarise(file, top = 25, requests = 0) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const dt = (prof.endTime - prof.startTime) / prof.samples.length / 1000; // ms per sample
  const group = ({ callFrame: { url, functionName } }) => {
    if (['(idle)', '(garbage collector)', '(program)'].includes(functionName)) return functionName;
    const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
    if (m) return m[m.length - 1].replace('node_modules/', '');
    if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
    if (url.includes('/preload/') || url.includes('/dist/')) return 'nodetel';
    return url === '' ? '(native/builtin)' : 'app';
  };
  const byGroup = new Map();
  const byFn = new Map();
  for (const [id, c] of counts) {
    const n = byId.get(id);
    byGroup.set(group(n), (byGroup.get(group(n)) ?? 0) + c);
    const { functionName, url, lineNumber } = n.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\//, '')}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + c);
  }
  const busy = prof.samples.length - (byGroup.get('(idle)') ?? 0);
  const pct = (c) =>
    `${((100 * c) / busy).toFixed(1).padStart(5)}%` + (requests ? ` ${((c * dt * 1000) / requests).toFixed(1).padStart(6)} µs/req` : '');
  let out = `${file}\nbusy (non-idle) ${(busy * dt).toFixed(0)} ms`;
  if (requests) out += `; ${requests} requests -> ${((busy * dt * 1000) / requests).toFixed(1)} µs busy main-thread time per request`;
  out += '\n\nself time by group\n';
  for (const [g, c] of [...byGroup].sort((a, b) => b[1] - a[1])) if (g !== '(idle)') out += `  ${g.padEnd(44)} ${pct(c)}\n`;
  out += `\ntop ${top} functions by self time\n`;
  for (const [k, c] of [...byFn].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith('(idle)')).slice(0, top)) {
    out += `  ${pct(c)}  ${k}\n`;
  }
  return out;
}

if (process.argv[2] === '--summarise') {
  for (const f of process.argv.slice(3)) process.stdout.write(summarise(f) + '\n');
  process.exit(0);
}

const { name, cfg, seconds } = configAndSeconds('profile.mjs', 10);
const dir = join(HERE, 'profiles', name);
mkdirSync(dir, { recursive: true });
const { port, stop } = await startWithSink(cfg, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
try {
  const res = await usersLoad(port, seconds, { rate: Number(process.env.RATE ?? 0) });
  console.error(`${name}: ${res.requests.average.toFixed(0)} req/s under --cpu-prof`);
  // The profile is written as the app exits.
  await stop();
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  process.stdout.write(summarise(join(dir, files[files.length - 1]), 25, res.requests.total));
} finally {
  await stop();
}
process.exit(0); // autocannon leaves timers behind
