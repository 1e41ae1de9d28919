// The configurations measured by run.mjs (and profile.mjs), and the commands timed by
// startup.mjs. One line each: { name, args, env, app, base, traced, note }
//   args:   node flags placed before the app file (or before `-e 0` in startup.mjs)
//   env:    variables added to the child's environment (OTEL_*, NODE_OPTIONS and LOG_PER_REQUEST
//           from the caller's environment are dropped first); `SINK` in a value is
//           replaced by the sink's OTLP/gRPC address once the sink is up
//   app:    app file (app.mjs is the ESM app, app.cjs its CommonJS twin)
//   base:   the configuration whose same-round figures are the denominator of the ratios
//   traced: whether every request served should arrive at the sink as one span
//   untraced: why a row with a tracer is not expected to trace (shown in the spans column)
//   note:   printed under the results table
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

// The preload under test: <repo>/preload, found relative to bench/ so any clone works.
// PRELOAD=/abs/path overrides it (e.g. to try a build elsewhere).
export const PRELOAD = resolve(BENCH_DIR, process.env.PRELOAD || '../preload');

// Returns null when `--require PRELOAD` can load something, else the reason it cannot.
export function preloadProblem() {
  try {
    createRequire(resolve(BENCH_DIR, 'noop.cjs')).resolve(PRELOAD);
    return null;
  } catch (e) {
    return existsSync(PRELOAD)
      ? `${PRELOAD} exists but \`--require\` cannot resolve it (${e.code}): it needs an index.js or a package.json "main" (built? try \`npm ci && npm run build\` at the repo root)`
      : `${PRELOAD} does not exist`;
  }
}

// SIGNALS=traces (default; the first issue is traces only) or SIGNALS=all.
export const SIGNALS = process.env.SIGNALS || 'traces';
if (!['traces', 'all'].includes(SIGNALS)) throw new Error(`SIGNALS must be traces or all, not ${SIGNALS}`);
const others = SIGNALS === 'all' ? 'otlp' : 'none';

// APP_LOG=console|winston|pino (1 = console): every app logs one line per request that way, so
// each ratio compares the app logging bare with the same app logging under the preload.
const APP_LOG = process.env.APP_LOG === '1' ? 'console' : process.env.APP_LOG || '';
if (APP_LOG && !['console', 'winston', 'pino'].includes(APP_LOG)) throw new Error(`APP_LOG must be console, winston or pino (or 1 for console), not ${APP_LOG}`);
export const APP_LOG_ENV = APP_LOG ? { LOG_PER_REQUEST: APP_LOG } : {};

// Same environment for our preload and for OTel. Cloud resource detectors are left out
// on purpose: they probe cloud metadata endpoints (169.254.169.254 and the like), which
// must not be contacted from here and would only time out.
export const OTEL_ENV = {
  OTEL_SERVICE_NAME: 'bench',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://SINK',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', // sdk-node defaults to http/protobuf
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_METRICS_EXPORTER: others,
  OTEL_LOGS_EXPORTER: others,
  ...(SIGNALS === 'all' ? { OTEL_METRIC_EXPORT_INTERVAL: '5000' } : {}),
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
};
const OTEL_HTTP_ENV = { ...OTEL_ENV, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' };
// The same preload with traces and metrics (RED + runtime, exported every 5 s), whatever SIGNALS
// says: set beside the traces-only row, it shows what metrics add.
const NODETEL_METRICS_ENV = { ...OTEL_ENV, OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '5000' };
// All three signals whatever SIGNALS says: with APP_LOG set, the app's line per request and the
// access log go out as records too. The overhead target for logs is on this row.
const NODETEL_ALL_ENV = { ...NODETEL_METRICS_ENV, OTEL_LOGS_EXPORTER: 'otlp' };

const NODETEL = ['--require', PRELOAD];
const OTEL_REGISTER = ['--require', '@opentelemetry/auto-instrumentations-node/register'];

const ESM_NOTE =
  'otel-http on the ESM app traces nothing: the register patches node:http when require("http") runs, ' +
  'which an ESM `import` never does. The row is kept only so its start-up and RSS are shown honestly; ' +
  'compare per-request costs on the -cjs rows.';

const BASE_CONFIGS = [
  // -- ESM app (app.mjs) ----------------------------------------------------------
  { name: 'bare', app: 'app.mjs', base: 'bare', args: [], env: {}, traced: false },
  { name: 'nodetel', app: 'app.mjs', base: 'bare', args: NODETEL, env: OTEL_ENV, traced: true },
  { name: 'nodetel+metrics', app: 'app.mjs', base: 'bare', args: NODETEL, env: NODETEL_METRICS_ENV, traced: true },
  { name: 'nodetel+all', app: 'app.mjs', base: 'bare', args: NODETEL, env: NODETEL_ALL_ENV, traced: true },
  { name: 'otel-http', app: 'app.mjs', base: 'bare', args: OTEL_REGISTER, env: OTEL_HTTP_ENV, traced: false, untraced: 'ESM: not traced, see note', note: ESM_NOTE },
  // -- CommonJS twin (app.cjs) ----------------------------------------------------
  { name: 'bare-cjs', app: 'app.cjs', base: 'bare-cjs', args: [], env: {}, traced: false },
  { name: 'nodetel-cjs', app: 'app.cjs', base: 'bare-cjs', args: NODETEL, env: OTEL_ENV, traced: true },
  { name: 'nodetel+metrics-cjs', app: 'app.cjs', base: 'bare-cjs', args: NODETEL, env: NODETEL_METRICS_ENV, traced: true },
  { name: 'nodetel+all-cjs', app: 'app.cjs', base: 'bare-cjs', args: NODETEL, env: NODETEL_ALL_ENV, traced: true },
  { name: 'otel-http-cjs', app: 'app.cjs', base: 'bare-cjs', args: OTEL_REGISTER, env: OTEL_HTTP_ENV, traced: true },
];

// PRELOAD_B=/abs/path: every nodetel configuration gets a twin, `<name>@b`, that loads that build
// instead, with the original as its base: a change's cost or gain, A against B in the same rounds
// (ONLY=nodetel+all-cjs,nodetel+all-cjs@b), where the host's swings hit both alike.
export const PRELOAD_B = process.env.PRELOAD_B ? resolve(process.env.PRELOAD_B) : undefined;

export const CONFIGS = PRELOAD_B
  ? BASE_CONFIGS.flatMap((c) => (c.args === NODETEL ? [c, { ...c, name: `${c.name}@b`, base: c.name, args: ['--require', PRELOAD_B] }] : [c]))
  : BASE_CONFIGS;

// startup.mjs: `node <args> -e 0`; the first entry is the baseline.
export const STARTUP_CMDS = [
  { name: 'bare', args: [], env: {} },
  { name: 'nodetel', args: NODETEL, env: OTEL_ENV },
  { name: 'otel-http', args: OTEL_REGISTER, env: OTEL_HTTP_ENV },
];

/** A bench tool's `<config> [seconds]` command line: the config (else the usage, and exit 2) and the seconds. */
export function configAndSeconds(tool, defaultSeconds) {
  const name = process.argv[2];
  const cfg = CONFIGS.find((c) => c.name === name);
  if (!cfg) {
    console.error(`usage: ${tool} <config> [seconds]; configs: ${CONFIGS.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  return { name, cfg, seconds: Number(process.argv[3] ?? defaultSeconds) };
}

/** The configs named in `names` (comma-separated) for the tools that feed app.cjs in-process (inproc.cjs); throws for any other. */
export function inprocConfigs(names) {
  return names.split(',').map((name) => {
    const cfg = CONFIGS.find((c) => c.name === name);
    if (!cfg || cfg.app !== 'app.cjs') throw new Error(`${name}: not a CommonJS bench config (${CONFIGS.filter((c) => c.app === 'app.cjs').map((c) => c.name).join(', ')})`);
    return cfg;
  });
}

// Child environment: the caller's, less anything that would configure a tracer behind
// our back, plus `extra` with SINK replaced by the sink's address.
export function childEnv(extra, sinkAddr = '') {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k === 'NODE_OPTIONS' || k === 'LOG_PER_REQUEST') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) env[k] = String(v).replace('SINK', sinkAddr);
  return env;
}

/** Resolves with the first match of `re` in what `child` prints on stdout; rejects if it exits first. */
export function lineFrom(child, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      const m = re.exec((out += c));
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited (${code})`)));
  });
}
