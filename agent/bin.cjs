#!/usr/bin/env node
'use strict';
// The `agent` command (package.json "bin"). Plain JavaScript so that it runs on any Node and can
// say clearly when this one is too old or the agent is not built; then it hands over to
// dist/agent/main.js, which `node dist/agent/main.js` also runs directly.
//
// It first re-executes itself (same pid, via process.execve) with V8 flags that keep the agent
// within its memory budget: a small young generation, no compilers past V8's interpreter (the
// agent's own JavaScript is small and mostly waits: Sparkplug's baseline code alone is about 1 MB;
// WebAssembly, which undici's HTTP parser is, stays on its baseline compiler) and a heap tuned
// for size. Without them the optimizing compilers alone add
// 20-30 MB under probe load (bench/agent-footprint.mjs measures both).
// Every probe's connection leaves garbage that only a full collection frees (V8 keeps the
// handles Node wraps through scavenges), so two flags make those come sooner: the old generation
// is capped at 64 MB (the agent keeps about 10 MB live; deploy/ limits its container to 96 MiB,
// so the cap fails first and says so), which makes V8 let the heap grow by smaller steps than
// with its default (4 GB on a machine with 24 GB); and V8's incremental marking starts as soon
// as the old generation is past a tenth of the size at which V8 would collect it (at once past a
// fifth; V8's own trigger waits until it is nearly there). All six check kinds + OTLP then
// peak at 58-60 MB under 100 or 1,000 probes/s, against 60-62 and 64-67 with neither
// (bench/README.md). Flags given to node explicitly are kept, and come later, so
// `node --max-old-space-size=256 agent/bin.cjs` raises the cap;
// `node <flags> dist/agent/main.js` skips all of this.
globalThis[Symbol.for('nodetel.agent')] = true;
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  process.stderr.write(`nodetel-agent: Node ${process.versions.node} is older than 22.15.0, the oldest Node the agent supports\n`);
  process.exit(1);
}

const LEAN = ['--max-semi-space-size=1', '--max-old-space-size=64', '--incremental-marking-soft-trigger=10', '--incremental-marking-hard-trigger=20', '--no-opt', '--no-maglev', '--no-sparkplug', '--liftoff-only', '--optimize-for-size'];
if (!process.execArgv.includes('--optimize-for-size') && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...LEAN, ...process.execArgv, __filename, ...process.argv.slice(2)], process.env);
}

let main;
try {
  main = require('../dist/agent/main.js').main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/agent/main.js')) {
    process.stderr.write(`nodetel-agent: the agent is not built; run \`npm install\` (or \`npm run build\`) in ${require('node:path').dirname(__dirname)}\n`);
    process.exit(1);
  }
  throw err;
}
main();
