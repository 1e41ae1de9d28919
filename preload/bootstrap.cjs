'use strict';
// The --require entry (preload/package.json points here). Plain JavaScript on purpose: it must
// run on any Node and before anything is built, and decide whether the preload may start at all.
// Whatever happens, the app runs: a preload that cannot start says why in one line and steps aside.
(function bootstrap() {
  const started = Symbol.for('nodetel.started');
  if (globalThis[started]) return; // listed twice (NODE_OPTIONS and --require)
  globalThis[started] = true;

  const say = (reason) => process.stderr.write(`nodetel: not instrumented: ${reason}\n`);
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    say(`Node ${process.versions.node} is older than 22.15.0, the oldest Node the OpenTelemetry SDK supports`);
    return;
  }
  // Worker threads inherit --require; the main thread instruments the process's servers and
  // exports for it, and a second SDK per worker would only duplicate connections.
  if (!require('node:worker_threads').isMainThread) return;

  let start;
  try {
    start = require('../dist/preload/index.js').start;
  } catch (err) {
    say(err && err.code === 'MODULE_NOT_FOUND' ? `the preload is not built; run \`npm install\` in ${require('node:path').dirname(__dirname)}` : String(err && err.message));
    return;
  }
  try {
    start();
  } catch (err) {
    say(String((err && err.message) || err));
  }
})();
