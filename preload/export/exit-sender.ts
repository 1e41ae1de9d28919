// Run by exit-send.ts as `node exit-sender.js <target JSON>` with one encoded OTLP export
// request on stdin: sends it (gRPC over our HTTP/2 client, or http/protobuf) and exits 0 once the
// Collector accepted it, 1 otherwise.
import { gzipSync } from 'node:zlib';
import type { ExitTarget } from './exit-send';
import { otlpChannel } from './grpc-transport';

async function main(): Promise<void> {
  const target = JSON.parse(process.argv[2] ?? '{}') as ExitTarget;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (target.protocol === 'grpc') await sendGrpc(target, body);
  else await sendHttp(target, body, target.compression === 'gzip');
}

async function sendGrpc(target: ExitTarget, message: Buffer): Promise<void> {
  const channel = otlpChannel(target);
  try {
    // exit-send.ts bounds the whole sender by the shutdown deadline.
    await channel.call(target.grpcPath, message, target.timeoutMillis);
  } finally {
    channel.close();
  }
}

async function sendHttp(target: ExitTarget, message: Buffer, gzip: boolean): Promise<void> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}), ...target.headers },
    body: gzip ? gzipSync(message) : message,
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
