// What loading @opentelemetry/sdk-node would cost the preload, once the app is up: the figure
// behind the preload's design choice to build on the SDK packages sdk-node is made of (sdk-trace's
// samplers, sdk-metrics, sdk-logs, the OTLP gRPC transport, resources) rather than on sdk-node
// itself. Loading `@opentelemetry/sdk-node` pulls in every exporter it can configure (OTLP
// grpc/http/proto for three signals, Zipkin, Prometheus) whichever is used.
// Each run is a fresh process that reports the RSS and wall time of the `require` alone.
//   node_modules/.bin/node sdk-node-cost.mjs        knobs: RUNS=5
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const RUNS = Number(process.env.RUNS || 5);
const { version } = JSON.parse(readFileSync(new URL('node_modules/@opentelemetry/sdk-node/package.json', import.meta.url), 'utf8'));
const probe = `
const before = process.memoryUsage().rss;
const t = performance.now();
require('@opentelemetry/sdk-node');
const ms = performance.now() - t;
globalThis.gc();
console.log(JSON.stringify({ ms, rssMB: (process.memoryUsage().rss - before) / 1e6 }));`;

const runs = [];
for (let i = 0; i < RUNS; i++) {
  runs.push(JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', probe], { cwd: import.meta.dirname, encoding: 'utf8' })));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`require('@opentelemetry/sdk-node') ${version} on Node ${process.versions.node}, ${RUNS} fresh processes (median, range):`);
console.log(`  load time  ${median(runs.map((r) => r.ms)).toFixed(0)} ms  (${Math.min(...runs.map((r) => r.ms)).toFixed(0)}-${Math.max(...runs.map((r) => r.ms)).toFixed(0)})`);
console.log(`  RSS added  ${median(runs.map((r) => r.rssMB)).toFixed(1)} MB  (${Math.min(...runs.map((r) => r.rssMB)).toFixed(1)}-${Math.max(...runs.map((r) => r.rssMB)).toFixed(1)})`);
