// What one OTLP/gRPC export costs the app: CPU (user + system, all threads) per export of a batch
// of access-log records, through the preload's own exporter (the SDK's export delegate over the
// preload's gRPC channel and its own HTTP/2 client) to the bench sink, four exports in flight as the batcher keeps them. Batches of
// 1, 64, 512 (OTEL_BLRP_MAX_EXPORT_BATCH_SIZE's default) and 2048 records separate what each call
// costs from what each byte costs.
//
//   node_modules/.bin/node export-cost.mjs          (from bench/, after the repo root's `npm run build`)
//   SIZES=512 EXPORTS=400 node_modules/.bin/node export-cost.mjs
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSink } from './sink-process.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(HERE, '../dist/preload/index.js'));
const SIZES = (process.env.SIZES ?? '1,64,512,2048').split(',').map(Number);
const EXPORTS = Number(process.env.EXPORTS ?? 200);
const IN_FLIGHT = 4;

const { sink, grpcPort: port } = await startSink();
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';

const { readConfig } = require('./config');
const { buildResource } = require('./export/resource');
const { createOtlpExporter, SIGNALS } = require('./export/otlp-exporter');
const { encodeLogRecord } = require('./export/otlp-encoding');
const { ProtobufWriter } = require('./export/protobuf-writer');

const config = readConfig();
const resource = buildResource(config);
const exporter = createOtlpExporter(SIGNALS.logs, config.logs.otlp, () => resource);
// An access-log record as the preload makes it for `GET /users/42`.
const time = [1763848279, 123456789];
const record = {
  hrTime: time,
  hrTimeObserved: time,
  spanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 },
  severityNumber: 9,
  severityText: 'INFO',
  body: 'GET /users/:id 200 0.123ms',
  eventName: 'http.server.access',
  attributes: {
    'http.request.method': 'GET',
    'url.path': '/users/42',
    duration_ms: 0.123,
    'http.response.status_code': 200,
    'http.route': '/users/:id',
    request_id: '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
    'user_agent.original': 'autocannon/9.0.0',
  },
  droppedAttributesCount: 0,
};

async function exportAll(batch, count) {
  for (let i = 0; i < count; i += IN_FLIGHT) await Promise.all(Array.from({ length: IN_FLIGHT }, () => exporter.export(batch)));
}

console.log('| records per export | bytes | CPU µs per export | CPU µs per record |\n|--:|--:|--:|--:|');
try {
  for (const size of SIZES) {
    const writer = new ProtobufWriter();
    for (let i = 0; i < size; i++) encodeLogRecord(writer, record);
    const batch = { groups: [{ scope: { name: 'nodetel/http', version: '0' }, bytes: writer.copy() }], count: size };
    await exportAll(batch, 20); // the connection, and code warmed up
    const before = process.cpuUsage();
    await exportAll(batch, EXPORTS);
    const used = process.cpuUsage(before);
    const perExport = (used.user + used.system) / EXPORTS;
    console.log(`| ${size} | ${batch.groups[0].bytes.length} | ${perExport.toFixed(0)} | ${(perExport / size).toFixed(2)} |`);
  }
} finally {
  sink.kill();
}
process.exit(0); // grpc-js keeps its channel open
