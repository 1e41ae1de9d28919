// Local OTLP/gRPC sink for the benchmark, a stand-in for a Collector.
//
//  - OTLP gRPC on 127.0.0.1 (SINK_GRPC_PORT, default 0 = any free port): accepts the
//    three OTLP Export methods with identity Buffer (de)serializers, counts requests,
//    bytes and items (spans / metrics / log records) per signal, and answers an empty
//    message (zero bytes is a valid empty Export*ServiceResponse).
//  - Control HTTP on 127.0.0.1 (SINK_CONTROL_PORT, default 0):
//      GET /stats  -> JSON counters
//      POST /reset -> zero the counters (returns the counters before the reset)
//
// Prints `sink ready <grpc port> <control port>` on stdout once both are bound.
import http from 'node:http';
import grpc from '@grpc/grpc-js';

const HOST = '127.0.0.1';

const SIGNALS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

// Minimal protobuf walk: the three OTLP export requests share one shape,
//   Export*ServiceRequest { repeated Resource* = 1 }
//   Resource*             { resource = 1; repeated Scope* = 2 }
//   Scope*                { scope = 1; repeated <item> = 2 }
// where <item> is a Span, a Metric or a LogRecord. countItems() counts the items
// without decoding them (malformed input -> -1).
function varint(buf, i) {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (i >= buf.length) throw new Error('truncated varint');
    const b = buf[i++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, i];
    mul *= 128;
  }
}
// Calls fn(field, start, end) for each length-delimited field of buf[start:end].
function eachLenField(buf, start, end, fn) {
  let i = start;
  while (i < end) {
    const [key, j] = varint(buf, i);
    i = j;
    const wt = key % 8;
    const field = Math.floor(key / 8);
    if (wt === 0) i = varint(buf, i)[1];
    else if (wt === 1) i += 8;
    else if (wt === 5) i += 4;
    else if (wt === 2) {
      const [len, k] = varint(buf, i);
      fn(field, k, k + len);
      i = k + len;
    } else throw new Error(`unsupported wire type ${wt}`);
  }
}
function countItems(buf) {
  let n = 0;
  try {
    eachLenField(buf, 0, buf.length, (f1, s1, e1) => {
      if (f1 !== 1) return;
      eachLenField(buf, s1, e1, (f2, s2, e2) => {
        if (f2 !== 2) return;
        eachLenField(buf, s2, e2, (f3) => {
          if (f3 === 2) n += 1;
        });
      });
    });
  } catch {
    return -1;
  }
  return n;
}

const fresh = () => ({
  ...Object.fromEntries(Object.keys(SIGNALS).map((s) => [s, { requests: 0, bytes: 0, items: 0, malformed: 0 }])),
  since: new Date().toISOString(),
});
let stats = fresh();

const identity = (b) => b;
const EMPTY = Buffer.alloc(0);

// OTLP batches can be large; do not reject them.
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
for (const [signal, path] of Object.entries(SIGNALS)) {
  const Export = {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
  server.addService({ Export }, {
    Export(call, callback) {
      const s = stats[signal];
      s.requests += 1;
      s.bytes += call.request.length;
      const n = countItems(call.request);
      if (n >= 0) s.items += n;
      else s.malformed += 1;
      callback(null, EMPTY);
    },
  });
}

const control = http.createServer((req, res) => {
  const send = (obj) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  if (req.url === '/stats') return send(stats);
  if (req.url === '/reset' && req.method === 'POST') {
    const before = stats;
    stats = fresh();
    return send(before);
  }
  res.writeHead(404);
  res.end();
});

const grpcPort = await new Promise((resolve, reject) =>
  server.bindAsync(`${HOST}:${Number(process.env.SINK_GRPC_PORT ?? 0)}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
    err ? reject(err) : resolve(port),
  ),
);
await new Promise((resolve, reject) => {
  control.once('error', reject);
  control.listen(Number(process.env.SINK_CONTROL_PORT ?? 0), HOST, resolve);
});
process.stdout.write(`sink ready ${grpcPort} ${control.address().port}\n`);

function finish() {
  server.forceShutdown();
  control.close();
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
