// The CommonJS bench app (app.cjs) fed requests in-process, for instructions.mjs and
// inproc-time.mjs: each of 8
// connections is one end of a stream.duplexPair handed to the server as a socket, so node:http
// parses, the app answers and logs, and the preload (when loaded) does all it does, with no socket
// system calls and no load generator in the way. The next request on a connection goes out from
// setImmediate, through the event loop as a socket's would, so the exports get their turn.
//   BATCH (requests per batch, default 2000), K (measured batches after two of warm-up, default 1),
//   TIMED=1 (print each measured batch's CPU time, user + system, per request: `batch <µs>`)
// Prints `inproc <requests> done` on stderr at the end; the caller counts what ran in between.
'use strict';
process.env.PORT = '0';
const server = require('./app.cjs');
const { duplexPair } = require('node:stream');
const { nextUserId } = require('./user-ids.cjs');

const CONNECTIONS = 8;

function run(requests) {
  return new Promise((resolve) => {
    let left = requests;
    let open = CONNECTIONS;
    for (let c = 0; c < CONNECTIONS; c++) {
      const [client, socket] = duplexPair();
      server.emit('connection', socket);
      let received = '';
      const send = () => {
        if (left <= 0) {
          if (--open === 0) resolve();
          return;
        }
        left--;
        client.write(`GET /users/${nextUserId()} HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nUser-Agent: autocannon/9.0.0\r\n\r\n`);
      };
      client.setEncoding('latin1');
      client.on('data', (chunk) => {
        received += chunk;
        const head = received.indexOf('\r\n\r\n');
        if (head === -1) return;
        const length = /content-length: (\d+)/i.exec(received.slice(0, head));
        const end = head + 4 + Number(length[1]);
        if (received.length < end) return;
        received = received.slice(end);
        setImmediate(send);
      });
      send();
    }
  });
}

(async () => {
  const batch = Number(process.env.BATCH ?? 2000);
  const k = Number(process.env.K ?? 1);
  await run(batch * 2);
  const timed = process.env.TIMED === '1';
  for (let i = 0; i < k; i++) {
    const before = timed ? process.cpuUsage() : undefined;
    await run(batch);
    if (before) {
      const used = process.cpuUsage(before);
      process.stderr.write(`batch ${((used.user + used.system) / batch).toFixed(3)}\n`);
    }
  }
  process.stderr.write(`inproc ${batch * (k + 2)} done\n`);
  process.exit(0);
})();
