// Plain start-up cost: wall time of `node <preload flags> -e 0`, whole process (spawn to
// exit, so a preload's exit-time flush counts), with a sink running. Commands alternate
// A B C A B C ...; WARMUP unmeasured runs of each first.
//   node_modules/.bin/node startup.mjs      knobs: RUNS=10 WARMUP=1 ONLY=a,b SIGNALS PRELOAD
// The commands are STARTUP_CMDS in configs.mjs; the first one is the baseline.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR as HERE, PRELOAD, SIGNALS, STARTUP_CMDS, childEnv, preloadProblem } from './configs.mjs';
import { startSink } from './sink-process.mjs';

const RUNS = Number(process.env.RUNS || 10);
const WARMUP = Number(process.env.WARMUP || 1);
const only = process.env.ONLY ? process.env.ONLY.split(',').map((s) => s.trim()) : null;
const cmds = STARTUP_CMDS.filter((c) => !only || only.includes(c.name));
if (cmds.length === 0) {
  console.error(`no command selected; known: ${STARTUP_CMDS.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
const problem = cmds.some((c) => c.args.includes(PRELOAD)) && preloadProblem();
if (problem) {
  console.error(`cannot load the preload under test: ${problem}\nto time without it: ONLY=bare,otel-http ./run.sh startup`);
  process.exit(2);
}

const median = (xs) => {
  const a = [...xs].sort((p, q) => p - q);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

const { sink, grpcPort } = await startSink();

function once(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...c.args, '-e', '0'], {
    cwd: HERE,
    env: childEnv(c.env, `127.0.0.1:${grpcPort}`),
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 30_000,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status ?? r.signal}\n${String(r.stderr).slice(-2000)}`);
  return ms;
}

try {
  for (let w = 0; w < WARMUP; w++) for (const c of cmds) once(c);
  const times = new Map(cmds.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) for (const c of cmds) times.get(c.name).push(once(c));

  const base = times.get(cmds[0].name);
  let md = `## \`node <flags> -e 0\` start-up\n\nNode ${process.version}, ${RUNS} runs each, alternated, after ${WARMUP} warm-up run(s); `;
  md += `wall ms from spawn to exit, with the sink running; signals: ${SIGNALS}; preload ${PRELOAD}.\n\n`;
  md += `| command | flags | median ms | min–max ms | × ${cmds[0].name} |\n|---|---|--:|--:|--:|\n`;
  for (const c of cmds) {
    const t = times.get(c.name);
    const ratios = t.map((x, i) => x / base[i]); // paired with the baseline run of the same pass
    const flags = c.args.length ? `\`${c.args.join(' ').replace(HERE + '/', '')}\`` : '–';
    md += `| ${c.name} | ${flags} | ${median(t).toFixed(0)} | ${Math.min(...t).toFixed(0)}–${Math.max(...t).toFixed(0)} | ${median(ratios).toFixed(2)}× |\n`;
  }
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const path = join(HERE, 'results', `startup-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.md`);
  md += "\n";
  writeFileSync(path, md);
  process.stdout.write(md);
  console.error(`written to ${path}`);
} finally {
  sink.kill('SIGTERM');
}
