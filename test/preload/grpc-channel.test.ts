// Our gRPC channel speaks HTTP/2 itself (preload/export/http2-connection.ts, hpack.ts): these
// put it against node:http2's server, which is nghttp2, a complete HTTP/2 implementation that
// compresses its header fields with the dynamic table and Huffman codes, enforces flow control,
// and can limit streams, reset them, ping and go away. The OTLP receiver (grpc-js) is the other
// peer, in every end-to-end test.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http2, { type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { connect, createServer, type Server } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { GrpcChannel } = require('../../dist/preload/export/grpc-channel.js');
const { Http2Connection, Http2Stream } = require('../../dist/preload/export/http2-connection.js');
const { HpackDecoder, encodeHeaderBlock, headerValue } = require('../../dist/preload/export/hpack.js');

const servers: Http2Server[] = [];
const channels: { close(): void }[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) channel.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A gRPC-style server on port 0: `answer` handles each call's stream once its whole body is in. */
async function grpcServer(answer: (stream: ServerHttp2Stream, body: Buffer, headers: http2.IncomingHttpHeaders) => void, settings: http2.Settings = {}, options: http2.ServerOptions = {}) {
  const server = http2.createServer({ ...options, settings });
  servers.push(server);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // the resets the tests make themselves
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => answer(stream, Buffer.concat(chunks), headers));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const channel = new GrpcChannel({ url, headers: { 'x-tenant': 'acme' }, userAgent: 'nodetel-test', gzip: false });
  channels.push(channel);
  return { server, url, channel };
}

/** A gRPC message: the 5-byte prefix, then the bytes. */
function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Answers OK with `message`, as a gRPC server does: headers, one data frame, trailers. */
function ok(stream: ServerHttp2Stream, message: Buffer, trailers: http2.OutgoingHttpHeaders = {}) {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', ...trailers }));
  stream.end(framed(message));
}

const PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

describe('the gRPC channel over its own HTTP/2 client', () => {
  it('sends the request as gRPC asks and returns the answer, call after call on one connection', async () => {
    const seen: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];
    let sessions = 0;
    const { server, channel } = await grpcServer((stream, body, headers) => {
      seen.push({ headers, body });
      ok(stream, Buffer.from(`answer to ${body.length} bytes`));
    });
    server.on('session', () => sessions++);
    for (let i = 0; i < 5; i++) {
      const answer: Buffer = await channel.call(PATH, Buffer.from(`request ${i}`), 5000);
      // nghttp2 compresses the repeated answer headers through its dynamic table after the first call.
      expect(answer.toString()).toBe(`answer to ${5 + `request ${i}`.length} bytes`);
    }
    expect(sessions).toBe(1);
    expect(seen[4]!.headers).toMatchObject({ ':method': 'POST', ':scheme': 'http', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'nodetel-test', 'x-tenant': 'acme', 'grpc-timeout': '5000m' });
    expect(seen[4]!.body).toEqual(framed(Buffer.from('request 4')));
  });

  it('keeps to the server\'s flow-control windows and frame size: a 1 MB message arrives whole', async () => {
    const { channel } = await grpcServer((stream, body) => ok(stream, Buffer.from(createHash('sha256').update(body).digest('hex'))), { initialWindowSize: 1000, maxFrameSize: 16384 });
    const message = Buffer.alloc(1 << 20);
    for (let i = 0; i < message.length; i++) message[i] = (i * 7919) & 0xff;
    const calls = [0, 1, 2].map(() => channel.call(PATH, message, 20000));
    const digest = createHash('sha256').update(framed(message)).digest('hex');
    for (const answer of await Promise.all(calls)) expect(answer.toString()).toBe(digest);
  });

  it('reads padded frames', async () => {
    const { channel } = await grpcServer((stream, body) => ok(stream, body.subarray(5)), {}, { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
    expect(String(await channel.call(PATH, Buffer.from('padded'), 5000))).toBe('padded');
  });

  it('never sends more than the windows allow, and goes on as the server grants more', async () => {
    // nghttp2 takes data past its windows without complaint, so this peer counts it itself: the
    // initial windows (65,535 bytes), then 10,000 more each time the client has used them up.
    const frame = (type: number, flags: number, id: number, payload: Buffer) => {
      const header = Buffer.alloc(9);
      header.writeUIntBE(payload.length, 0, 3);
      header[3] = type;
      header[4] = flags;
      header.writeUInt32BE(id, 5);
      return Buffer.concat([header, payload]);
    };
    const grant = (id: number, bytes: number) => {
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(bytes);
      return Buffer.concat([frame(8, 0, 0, payload), frame(8, 0, id, payload)]);
    };
    let allowed = 65535;
    let received = 0;
    const server: Server = createServer((socket) => {
      let input = Buffer.alloc(0);
      let preface = false;
      socket.write(frame(4, 0, 0, Buffer.alloc(0))); // SETTINGS, all defaults
      socket.on('data', (chunk: Buffer) => {
        input = Buffer.concat([input, chunk]);
        if (!preface) {
          if (input.length < 24) return;
          input = input.subarray(24);
          preface = true;
        }
        while (input.length >= 9 && input.length >= 9 + input.readUIntBE(0, 3)) {
          const length = input.readUIntBE(0, 3);
          const [type, flags, id] = [input[3]!, input[4]!, input.readUInt32BE(5)];
          input = input.subarray(9 + length);
          if (type !== 0) continue;
          received += length;
          if (received > allowed) return socket.destroy();
          if (flags & 1) socket.write(frame(1, 0x5, id, encodeHeaderBlock([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '0']])));
          else if (received === allowed) {
            allowed += 10000;
            socket.write(grant(id, 10000));
          }
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const channel = new GrpcChannel({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, headers: {}, userAgent: 'nodetel-test', gzip: false });
    channels.push(channel);
    try {
      expect((await channel.call(PATH, Buffer.alloc(150000, 1), 10000)).length).toBe(0);
      expect(received).toBe(150005);
      expect(allowed).toBe(65535 + 9 * 10000); // it used each grant to the byte
    } finally {
      server.close();
    }
  });

  it('waits for a stream when the server allows only one at a time', async () => {
    let concurrent = 0;
    let most = 0;
    const { server, channel } = await grpcServer((stream, body) => setTimeout(() => ok(stream, body.subarray(5)), 5), { maxConcurrentStreams: 1 });
    server.on('stream', (stream) => {
      most = Math.max(most, ++concurrent);
      stream.on('close', () => concurrent--);
    });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => channel.call(PATH, Buffer.from(`call ${i}`), 10000)));
    expect(answers.map(String)).toEqual(Array.from({ length: 8 }, (_, i) => `call ${i}`));
    expect(most).toBe(1);
  });

  it('reads the status and message of an error, whether in trailers or a trailers-only answer', async () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('').replace('%', '');
    const { channel } = await grpcServer((stream, body) => {
      if (body.subarray(5).toString() === 'trailers-only') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '8', 'grpc-message': 'slow down' }, { endStream: true });
      } else {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '3', 'grpc-message': printable }));
        stream.end();
      }
    });
    await expect(channel.call(PATH, Buffer.from('trailers-only'), 5000)).rejects.toMatchObject({ code: 8, message: 'gRPC status 8 RESOURCE_EXHAUSTED: slow down' });
    // Every printable character, Huffman-coded by nghttp2, decodes back.
    await expect(channel.call(PATH, Buffer.from('trailers'), 5000)).rejects.toMatchObject({ code: 3, message: `gRPC status 3 INVALID_ARGUMENT: ${printable}` });
  });

  it('maps a reset stream, an HTTP error and a missed deadline to gRPC statuses, and tells the server it gave up', async () => {
    const received: string[] = [];
    const reset: number[] = [];
    const { server, channel } = await grpcServer((stream, body) => {
      const what = body.subarray(5).toString();
      received.push(what);
      if (what === 'refuse') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else if (what === 'calm') stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      else if (what === 'not grpc') stream.respond({ ':status': 404 }, { endStream: true });
      // 'hang': no answer at all
    });
    server.on('stream', (stream) => stream.on('close', () => reset.push(stream.rstCode)));
    // A refused stream was not processed: it is sent again, three times, before the call fails.
    await expect(channel.call(PATH, Buffer.from('refuse'), 5000)).rejects.toMatchObject({ code: 14 });
    expect(received).toEqual(['refuse', 'refuse', 'refuse', 'refuse']);
    await expect(channel.call(PATH, Buffer.from('calm'), 5000)).rejects.toMatchObject({ code: 8 });
    await expect(channel.call(PATH, Buffer.from('not grpc'), 5000)).rejects.toMatchObject({ code: 12, message: expect.stringContaining('HTTP 404') });
    await expect(channel.call(PATH, Buffer.from('hang'), 200)).rejects.toMatchObject({ code: 4 });
    await expect.poll(() => reset.at(-1)).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(received.at(-1)).toBe('hang');
  });

  it('answers the server\'s pings and follows it to a new connection after GOAWAY', async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const { server, channel } = await grpcServer((stream, body) => ok(stream, body.subarray(5)));
    server.on('session', (session) => sessions.push(session));
    expect(String(await channel.call(PATH, Buffer.from('first'), 5000))).toBe('first');
    const pinged = await new Promise<boolean>((resolve) => sessions[0]!.ping((error) => resolve(!error)));
    expect(pinged).toBe(true);
    sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR);
    await expect.poll(async () => String(await channel.call(PATH, Buffer.from('again'), 5000).catch(() => 'failed'))).toBe('again');
    expect(sessions.length).toBe(2);
  });

  it('connects to an IPv6 address, given in brackets as URLs write it', async () => {
    const server = http2.createServer();
    servers.push(server);
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      stream.resume();
      stream.on('end', () => ok(stream, Buffer.from(String(headers[':authority']))));
    });
    server.listen(0, '::1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const channel = new GrpcChannel({ url: `http://[::1]:${port}`, headers: {}, userAgent: 'nodetel-test', gzip: false });
    channels.push(channel);
    expect(String(await channel.call(PATH, Buffer.from('v6'), 5000))).toBe(`[::1]:${port}`);
  });

  it('refuses metadata HTTP/2 cannot carry, instead of sending a broken request', async () => {
    const channel = new GrpcChannel({ url: 'http://127.0.0.1:1', headers: { 'x-bad': 'line\r\nbreak' }, userAgent: 'nodetel-test', gzip: false });
    await expect(channel.call(PATH, Buffer.from('x'), 1000)).rejects.toMatchObject({ code: 13, message: expect.stringContaining('x-bad') });
  });
});

describe('HPACK', () => {
  it('decodes RFC 7541\'s Huffman-coded request examples (C.4), the dynamic table carried from one to the next', () => {
    const decoder = new HpackDecoder();
    const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
    expect(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com']);
    expect(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com', 'cache-control', 'no-cache']);
    expect(decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      ':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value',
    ]);
  });

  it('decodes every header value byte nghttp2 sends, Huffman-coded or not, through a connection of its own', async () => {
    const values = [
      Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
      Array.from({ length: 128 }, (_, i) => String.fromCharCode(128 + i)).join(''),
      'a'.repeat(3000), // longer than the dynamic table's entries may be
      '\t tabs\tand spaces ',
      'b'.repeat(20000), // past one frame: the block goes on in CONTINUATION frames
    ];
    const server = http2.createServer();
    servers.push(server);
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, ...Object.fromEntries(values.map((v, i) => [`x-value-${i}`, v])) }, { endStream: true });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    const connection = new Http2Connection(socket, () => {});
    channels.push(connection);
    for (let round = 0; round < 3; round++) {
      const headers = await new Promise<string[]>((resolve, reject) => {
        const block = encodeHeaderBlock([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'localhost']]);
        connection.request(new Http2Stream(block, [], (stream: { headers: string[] }, error: Error | undefined) => (error ? reject(error) : resolve(stream.headers))));
      });
      expect(headerValue(headers, ':status')).toBe('200');
      values.forEach((value, i) => expect(headerValue(headers, `x-value-${i}`)).toBe(value));
    }
  });
});
