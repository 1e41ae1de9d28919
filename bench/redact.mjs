// Cost of redaction on the hot path: ns per log record, per span's attributes, per message,
// with and without secrets, next to JSON.stringify of the same record (which an exporter pays
// anyway) so that figures taken on a busy machine can still be compared.
//
//   npm run build && node_modules/.bin/node bench/redact.mjs
//
// Records rotate through 1024 variants (different request ids, trace ids, paths, client
// addresses, timestamps), as in a real service: only what really repeats (host name, message
// templates, user agents, headers) repeats. Times are CPU time (process.cpuUsage), median of 11
// rounds; bytes/op is the heap growth over 2000 ops (an estimate: no GC may run meanwhile);
// "as is" says the input came back unchanged, without a copy.
import { createRequire } from 'node:module';
import { getHeapStatistics } from 'node:v8';

const require = createRequire(import.meta.url);
const { createRedactor } = require('../dist/preload/redact/index.js');

const redactor = createRedactor();
const VARIANTS = 1024;

// Deterministic ids (xorshift), so that every run measures the same inputs.
let seed = 0x9e3779b9;
function hex(chars) {
  let out = '';
  while (out.length < chars) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out += (seed >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, chars);
}
const randomUUID = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const userAgents = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'curl/8.5.0',
  'okhttp/4.12.0',
];
const messages = ['request completed', 'request received', 'order placed', 'cache miss, loading from database'];

function cleanRecord(i) {
  const id = 100000 + i * 7919;
  return {
    level: 30,
    time: 1712345678901 + i * 13,
    pid: 4242,
    hostname: 'checkout-7f9c8d5b4-x2k9p',
    reqId: randomUUID(),
    msg: messages[i % messages.length],
    req: {
      method: i % 5 === 0 ? 'POST' : 'GET',
      url: `/api/orders/${id}?page=${i % 7}&sort=desc`,
      headers: { host: 'checkout.internal:3000', 'user-agent': userAgents[i % userAgents.length], accept: 'application/json' },
      remoteAddress: `10.0.${i % 256}.${(i * 7) % 256}`,
    },
    res: { statusCode: i % 50 === 0 ? 500 : 200 },
    responseTime: (i % 100) / 3,
    trace_id: hex(32),
    span_id: hex(16),
  };
}

function secretRecord(i) {
  const r = cleanRecord(i);
  r.msg = `password reset sent to user${i}@example.com`;
  r.req.url = `/api/login?token=${hex(16)}&page=2`;
  r.req.headers = { ...r.req.headers, authorization: `Bearer ${hex(40)}`, cookie: `sid=${hex(16)}` };
  return r;
}

function spanAttributes(i) {
  return {
    'http.request.method': 'GET',
    'url.path': `/api/orders/${100000 + i * 7919}`,
    'url.scheme': 'http',
    'url.query': `page=${i % 7}&sort=desc`,
    'http.route': '/api/orders/:id',
    'http.response.status_code': 200,
    'server.address': 'checkout.internal',
    'server.port': 3000,
    'client.address': `10.0.${i % 256}.${(i * 7) % 256}`,
    'user_agent.original': userAgents[i % userAgents.length],
    'network.protocol.version': '1.1',
    'http.request.header.x-request-id': [randomUUID()],
  };
}

const make = (f) => Array.from({ length: VARIANTS }, (_, i) => f(i));
const clean = make(cleanRecord);
const secret = make(secretRecord);
const spans = make(spanAttributes);
const accessLines = make((i) => `GET /api/orders/${100000 + i * 7919} 200 ${(i % 100) / 3} ms - ${512 + i} bytes`);
const emailLines = make((i) => `password reset sent to user${i}@example.com for order ${100000 + i}`);
const kvLines = make((i) => `order=${100000 + i} status=shipped carrier=dhl attempt=${i % 3}`);
const queries = make((i) => `page=${i % 7}&sort=desc&filter=open&q=item${i}`);

const cases = [
  ['JSON.stringify(log record)  [reference]', clean, (x) => JSON.stringify(x), false],
  ['log record, no secret', clean, (x) => redactor.value(x), true],
  ['log record, 4 secrets', secret, (x) => redactor.value(x), false],
  ['span attributes (12), no secret', spans, (x) => redactor.attributes(x), true],
  ['message, no secret', accessLines, (x) => redactor.string(x), true],
  ['message, key=value, no secret', kvLines, (x) => redactor.string(x), true],
  ['message, e-mail', emailLines, (x) => redactor.string(x), false],
  ['url.query, no secret', queries, (x) => redactor.queryString(x), true],
];

const N = 100_000;
let sink = 0;
function round(inputs, fn) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) sink += fn(inputs[i & (VARIANTS - 1)]) === undefined ? 1 : 0;
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / N;
}

/** Bytes allocated per op: heap growth over a short run, retried if a scavenge ran meanwhile. */
function allocated(inputs, fn) {
  const ops = 2000;
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < ops; i++) sink += fn(inputs[i & (VARIANTS - 1)]) === undefined ? 1 : 0;
    const grown = getHeapStatistics().used_heap_size - before;
    if (grown >= 0) return Math.round(grown / ops);
  }
  return NaN;
}

const rows = [];
let reference;
for (const [name, inputs, fn, expectSame] of cases) {
  for (let i = 0; i < 3; i++) round(inputs, fn); // warm up
  const times = Array.from({ length: 11 }, () => round(inputs, fn)).sort((a, b) => a - b);
  const median = times[5];
  reference ??= median;
  const same = expectSame ? inputs.every((x) => fn(x) === x) : undefined;
  rows.push({
    case: name,
    'ns/op': Math.round(median),
    'x JSON.stringify': (median / reference).toFixed(2),
    'bytes/op': allocated(inputs, fn),
    'as is': same === undefined ? '' : same ? 'yes' : 'NO',
  });
}
console.table(rows);
console.log(`node ${process.version}, ${VARIANTS} rotating inputs, CPU time per op${sink < 0 ? ' ' : ''}`);
