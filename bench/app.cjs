// CommonJS twin of app.mjs (same code; only the module system differs).
// A --require preload that hooks require() sees node:http here but not in app.mjs.
// Plain node:http service, the benchmark target.
//   PORT (default 3000; 0 = any free port), HOST (default 127.0.0.1)
//   LOG_PER_REQUEST=console|winston|pino -> one line per request through that logger, JSON
//   for winston and pino (off by default; winston and pino resolve from the repository's node_modules)
// Routes: GET /users/:id  -> small JSON object
//         GET /healthz    -> {"ok":true}
// Prints `listening <port>` on stdout when ready, and `served <n>` (requests handled
// over its whole life) when it exits, so the harness can match spans to requests exactly.
const http = require('node:http');
const { writeSync } = require('node:fs');

const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? '127.0.0.1';
const LOG = process.env.LOG_PER_REQUEST;
const logLine = LOG === 'winston' ? winstonLine(require('winston')) : LOG === 'pino' ? pinoLine(require('pino')) : consoleLine;

const USERS_PREFIX = '/users/';
let served = 0;

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  served++;
  const started = LOG ? process.hrtime.bigint() : 0n;
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  let status;
  if (req.method === 'GET' && path.startsWith(USERS_PREFIX)) {
    const raw = path.slice(USERS_PREFIX.length);
    const id = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (Number.isSafeInteger(id)) {
      status = 200;
      sendJson(res, status, {
        id,
        name: `user-${id}`,
        email: `user${id}@example.test`,
        active: id % 2 === 0,
        roles: id % 3 === 0 ? ['admin', 'user'] : ['user'],
      });
    } else {
      status = 400;
      sendJson(res, status, { error: 'invalid id' });
    }
  } else if (req.method === 'GET' && path === '/healthz') {
    status = 200;
    sendJson(res, status, { ok: true });
  } else {
    status = 404;
    sendJson(res, status, { error: 'not found' });
  }
  if (LOG) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logLine(req.method, req.url, status, ms);
  }
});

function consoleLine(method, url, status, ms) {
  console.log(`${new Date().toISOString()} ${method} ${url} ${status} ${ms.toFixed(3)}ms`);
}

function winstonLine(winston) {
  const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Console()] });
  return (method, url, status, ms) => logger.info('request', { method, url, status, ms });
}

function pinoLine(pino) {
  const logger = pino();
  return (method, url, status, ms) => logger.info({ method, url, status, ms }, 'request');
}

server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

// Graceful stop: close the listener and its sockets, then let the event loop
// drain so that a preload's own SIGTERM/beforeExit flush can finish; a 5 s
// unref'd deadline forces the exit if something keeps the loop alive.
const stop = () => {
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('exit', () => writeSync(1, `served ${served}\n`));

// For instructions.mjs, which feeds this server requests in-process (no sockets).
module.exports = server;
