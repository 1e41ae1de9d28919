'use strict';
// Loaded into the agent by bench/agent-footprint.mjs (--require): times each request inside the
// agent, from node:http's request.start to response.finish (the agent's own work, without the
// TCP connect and the client), and writes the durations to $PROBE_TIMES_FILE when the agent exits.
const { subscribe } = require('node:diagnostics_channel');
const { writeFileSync } = require('node:fs');
const file = process.env.PROBE_TIMES_FILE;
if (file && require('node:worker_threads').isMainThread) {
  const started = new WeakMap();
  const times = [];
  subscribe('http.server.request.start', ({ request }) => started.set(request, process.hrtime.bigint()));
  subscribe('http.server.response.finish', ({ request }) => {
    const t = started.get(request);
    if (t !== undefined && times.length < 1e6) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  });
  process.on('exit', () => writeFileSync(file, JSON.stringify(times)));
}
