// Run by exit-send.ts as `node exit-sender.js <target JSON>` with one encoded OTLP export
// request on stdin: sends it (gRPC over node:http2, or http/protobuf) and exits 0 once the
// Collector accepted it, 1 otherwise.
import { connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { ExitTarget } from './exit-send';

async function main(): Promise<void> {
  const target = JSON.parse(process.argv[2] ?? '{}') as ExitTarget;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const gzip = target.compression === 'gzip';
  const body = gzip ? gzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
  if (target.protocol === 'grpc') await sendGrpc(target, body, gzip);
  else await sendHttp(target, body, gzip);
}

function sendGrpc(target: ExitTarget, message: Buffer, gzip: boolean): Promise<void> {
  // gRPC framing: 1 byte "compressed", 4 bytes big-endian length, then the message.
  const frame = Buffer.alloc(5 + message.length);
  frame[0] = gzip ? 1 : 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return new Promise((resolve, reject) => {
    const session = connect(target.url);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': target.grpcPath,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(gzip ? { 'grpc-encoding': 'gzip' } : {}),
      ...target.headers,
    });
    let status: string | undefined;
    stream.on('response', (headers) => (status = headers['grpc-status'] as string | undefined));
    stream.on('trailers', (trailers) => (status = (trailers['grpc-status'] as string | undefined) ?? status));
    stream.on('error', reject);
    stream.resume();
    stream.on('close', () => {
      session.close();
      if (status === '0') resolve();
      else reject(new Error(`gRPC status ${status ?? 'none'}`));
    });
    stream.end(frame);
  });
}

async function sendHttp(target: ExitTarget, body: Buffer, gzip: boolean): Promise<void> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}), ...target.headers },
    body,
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
