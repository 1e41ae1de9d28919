// One HTTP/2 client connection (RFC 9113) over a socket, as much of it as unary gRPC calls need:
// requests with a body, answers with headers, data and trailers, both sides' flow control, the
// server's SETTINGS, PING, GOAWAY and RST_STREAM. It exists for what node:http2 costs the app: a
// ClientHttp2Stream per call is a full Duplex stream with its events, ticks and native hand-offs,
// and in a busy app, where the few exports a second never get hot enough to be optimised, one
// call cost ~450 µs of CPU (bench: 4-5 µs per request of an app at saturation, a third of what
// the preload then added). Here a call is one write of its frames and a parse of a few small ones.
import type { Socket } from 'node:net';
import { HpackDecoder, type HeaderList } from './hpack';

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

const PROTOCOL_ERROR = 0x1;
const FRAME_SIZE_ERROR = 0x6;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
/** How often one request is sent again after the server refused its stream unprocessed. */
const MAX_REFUSALS = 3;

/** HTTP/2's defaults until the server's SETTINGS say otherwise, and the largest frame we accept (ours is the default). */
const DEFAULT_WINDOW = 65535;
const DEFAULT_MAX_FRAME = 16384;
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** Received bytes acknowledged with a WINDOW_UPDATE once this many have come (answers are small: rarely). */
const WINDOW_UPDATE_AT = 16384;

/** The connection preface, then our SETTINGS: no server push. */
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(SETTINGS, 0, 0, settingsPayload([[SETTINGS_ENABLE_PUSH, 0]]))]);

/** A stream reset by the server (RST_STREAM), with its HTTP/2 error code. */
export class StreamResetError extends Error {
  constructor(readonly http2Code: number) {
    super(`the server reset the stream (HTTP/2 error ${http2Code})`);
  }
}

/** One request and its answer. */
export class Http2Stream {
  id = 0;
  sendWindow = 0;
  /** The body's chunks; what is left to send starts at `offset` of chunk `chunk`. */
  readonly body: Uint8Array[];
  chunk = 0;
  offset = 0;
  /** The answer: its header fields, its trailers (none in a trailers-only answer), its data. */
  headers: HeaderList | undefined;
  trailers: HeaderList | undefined;
  readonly data: Buffer[] = [];
  unacknowledged = 0;
  refusals = 0;

  constructor(
    readonly headerBlock: Buffer,
    body: Uint8Array[],
    /** Called once: when the answer is complete, or with why it never will be. */
    readonly onEnd: (stream: Http2Stream, error: Error | undefined) => void,
  ) {
    this.body = body.filter((chunk) => chunk.length > 0);
  }
}

export class Http2Connection {
  private readonly streams = new Map<number, Http2Stream>();
  /** Requests waiting for the server's limit on concurrent streams. */
  private readonly waiting: Http2Stream[] = [];
  private nextId = 1;
  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private unacknowledged = 0;
  private readonly decoder = new HpackDecoder();
  /** Bytes of a frame not yet complete. */
  private input: Buffer | undefined;
  /** A header block begun by HEADERS and continued by CONTINUATION frames. */
  private partial: { streamId: number; endStream: boolean; fragments: Buffer[] } | undefined;
  private goingAway = false;
  private closed = false;

  /** `onGone`: called once the connection takes no more requests (GOAWAY, an error, close). */
  constructor(
    private readonly socket: Socket,
    private readonly onGone: () => void,
  ) {
    socket.setNoDelay(true);
    // Idle, the connection does not keep the process alive; a request in flight does (as grpc-js's).
    socket.unref();
    socket.write(PREFACE);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the connection closed')));
  }

  /** Whether a new request may start here. */
  get usable(): boolean {
    return !this.closed && !this.goingAway && this.nextId <= MAX_STREAM_ID;
  }

  /** Sends a request: its header block (a complete HPACK block) and its body. */
  request(stream: Http2Stream): void {
    if (!this.usable) return stream.onEnd(stream, new Error('the connection takes no more requests'));
    if (this.streams.size >= this.peerMaxStreams) {
      this.waiting.push(stream);
      return;
    }
    this.start(stream);
  }

  /** Abandons a request (its deadline passed): the server is told with RST_STREAM CANCEL. */
  cancel(stream: Http2Stream): void {
    const index = this.waiting.indexOf(stream);
    if (index !== -1) this.waiting.splice(index, 1);
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (!this.closed) this.socket.write(frame(RST_STREAM, 0, stream.id, uint32(CANCEL)));
    this.afterStreamEnd();
  }

  /** No new requests; the connection closes once those under way are answered. */
  close(): void {
    if (this.closed) return;
    this.goingAway = true;
    for (const stream of this.waiting.splice(0)) stream.onEnd(stream, new Error('the connection was closed'));
    this.afterStreamEnd();
  }

  private start(stream: Http2Stream): void {
    stream.id = this.nextId;
    this.nextId += 2;
    stream.sendWindow = this.peerInitialWindow;
    if (this.streams.size === 0) this.socket.ref();
    this.streams.set(stream.id, stream);
    const socket = this.socket;
    // One write for the headers and as much of the body as the windows allow.
    socket.cork();
    const block = stream.headerBlock;
    const bodyless = stream.body.length === 0;
    let at = 0;
    do {
      const size = Math.min(block.length - at, this.peerMaxFrame);
      const last = at + size === block.length;
      socket.write(frameHeader(size, at === 0 ? HEADERS : CONTINUATION, (last ? END_HEADERS : 0) | (at === 0 && bodyless ? END_STREAM : 0), stream.id));
      if (size > 0) socket.write(block.subarray(at, at + size));
      at += size;
    } while (at < block.length);
    this.sendData(stream);
    socket.uncork();
  }

  /** Sends what the stream and connection windows allow of the stream's body. */
  private sendData(stream: Http2Stream): void {
    const chunks = stream.body;
    while (stream.chunk < chunks.length) {
      const chunk = chunks[stream.chunk]!;
      const size = Math.min(chunk.length - stream.offset, this.sendWindow, stream.sendWindow, this.peerMaxFrame);
      if (size <= 0) return; // until a WINDOW_UPDATE
      const end = stream.offset + size;
      const last = end === chunk.length && stream.chunk === chunks.length - 1;
      this.socket.write(frameHeader(size, DATA, last ? END_STREAM : 0, stream.id));
      this.socket.write(chunk.subarray(stream.offset, end));
      this.sendWindow -= size;
      stream.sendWindow -= size;
      if (end === chunk.length) {
        stream.chunk++;
        stream.offset = 0;
      } else {
        stream.offset = end;
      }
    }
  }

  /** After a window grew: whatever was waiting for it, in the order the requests started. */
  private resumeSending(): void {
    this.socket.cork();
    for (const stream of this.streams.values()) if (stream.chunk < stream.body.length) this.sendData(stream);
    this.socket.uncork();
  }

  private receive(chunk: Buffer): void {
    let buffer = this.input ? Buffer.concat([this.input, chunk]) : chunk;
    let at = 0;
    while (buffer.length - at >= 9 && !this.closed) {
      const length = (buffer[at]! << 16) | (buffer[at + 1]! << 8) | buffer[at + 2]!;
      if (length > DEFAULT_MAX_FRAME) return this.connectionError(FRAME_SIZE_ERROR, `a frame of ${length} bytes, above the ${DEFAULT_MAX_FRAME} allowed`);
      if (buffer.length - at < 9 + length) break;
      const type = buffer[at + 3]!;
      const flags = buffer[at + 4]!;
      const streamId = buffer.readUInt32BE(at + 5) & MAX_STREAM_ID;
      const payload = buffer.subarray(at + 9, at + 9 + length);
      at += 9 + length;
      try {
        this.onFrame(type, flags, streamId, payload);
      } catch (error) {
        return this.connectionError(PROTOCOL_ERROR, (error as Error).message);
      }
    }
    this.input = at < buffer.length ? buffer.subarray(at) : undefined;
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.partial && type !== CONTINUATION) throw new Error('a header block was interrupted');
    switch (type) {
      case DATA:
        return this.onData(flags, streamId, payload);
      case HEADERS: {
        let start = 0;
        let end = payload.length;
        if (flags & PADDED) end -= payload[start++]!;
        if (flags & PRIORITY_FLAG) start += 5;
        if (start > end) throw new Error('HEADERS padding longer than the frame');
        const fragment = payload.subarray(start, end);
        const endStream = (flags & END_STREAM) !== 0;
        if (flags & END_HEADERS) this.onHeaderBlock(streamId, endStream, fragment);
        else this.partial = { streamId, endStream, fragments: [fragment] };
        return;
      }
      case CONTINUATION: {
        const partial = this.partial;
        if (!partial || partial.streamId !== streamId) throw new Error('CONTINUATION without a header block');
        partial.fragments.push(payload);
        if (flags & END_HEADERS) {
          this.partial = undefined;
          this.onHeaderBlock(streamId, partial.endStream, Buffer.concat(partial.fragments));
        }
        return;
      }
      case RST_STREAM: {
        const stream = this.streams.get(streamId);
        if (!stream) return;
        const code = payload.readUInt32BE(0);
        // REFUSED_STREAM: the server did not process it (say, sent before its SETTINGS limited the
        // streams), so it is sent again, as grpc-js's transparent retry does, a few times at most.
        if (code === REFUSED_STREAM && stream.headers === undefined && stream.refusals++ < MAX_REFUSALS) return this.retry(stream);
        this.end(stream, new StreamResetError(code));
        return;
      }
      case SETTINGS:
        if (!(flags & ACK)) this.onSettings(payload);
        return;
      case PUSH_PROMISE:
        throw new Error('PUSH_PROMISE although push is disabled');
      case PING:
        if (!(flags & ACK)) this.socket.write(frame(PING, ACK, 0, payload));
        return;
      case GOAWAY:
        return this.onGoAway(payload.readUInt32BE(0) & MAX_STREAM_ID, payload.readUInt32BE(4));
      case WINDOW_UPDATE: {
        const increment = payload.readUInt32BE(0) & MAX_WINDOW;
        if (streamId === 0) this.sendWindow += increment;
        else {
          const stream = this.streams.get(streamId);
          if (!stream) return;
          stream.sendWindow += increment;
        }
        if (this.sendWindow > MAX_WINDOW) throw new Error('the send window grew past 2^31 - 1');
        this.resumeSending();
        return;
      }
      default:
      // PRIORITY, and frame types this client does not know: ignored, as RFC 9113 asks.
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    // Flow control counts the whole frame, padding included, whether or not the stream is still open.
    this.unacknowledged = this.acknowledge(0, this.unacknowledged + payload.length);
    const stream = this.streams.get(streamId);
    if (!stream) return;
    const start = flags & PADDED ? 1 : 0;
    const end = payload.length - (flags & PADDED ? payload[0]! : 0);
    if (start > end) throw new Error('DATA padding longer than the frame');
    if (end > start) stream.data.push(payload.subarray(start, end));
    if (flags & END_STREAM) return this.end(stream, undefined);
    stream.unacknowledged = this.acknowledge(streamId, stream.unacknowledged + payload.length);
  }

  /** Received bytes of a window (stream 0: the connection's): given back with a WINDOW_UPDATE once there are enough; returns what is still owed. */
  private acknowledge(streamId: number, bytes: number): number {
    if (bytes < WINDOW_UPDATE_AT) return bytes;
    this.socket.write(frame(WINDOW_UPDATE, 0, streamId, uint32(bytes)));
    return 0;
  }

  private onHeaderBlock(streamId: number, endStream: boolean, block: Buffer): void {
    // Decoded even for a stream we gave up on: the dynamic table must stay in step with the server's.
    const fields = this.decoder.decode(block);
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (stream.headers === undefined) stream.headers = fields;
    else stream.trailers = fields;
    if (endStream) this.end(stream, undefined);
  }

  private onSettings(payload: Buffer): void {
    if (payload.length % 6 !== 0) throw new Error('a SETTINGS frame of a wrong length');
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === SETTINGS_MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
      else if (id === SETTINGS_MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16777215) throw new Error(`SETTINGS_MAX_FRAME_SIZE ${value} out of range`);
        this.peerMaxFrame = value;
      } else if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new Error(`SETTINGS_INITIAL_WINDOW_SIZE ${value} out of range`);
        // The change applies to every open stream's window, which may go below zero.
        for (const stream of this.streams.values()) stream.sendWindow += value - this.peerInitialWindow;
        this.peerInitialWindow = value;
      }
      // HEADER_TABLE_SIZE bounds a table our requests never use; the others concern servers.
    }
    this.socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
    this.resumeSending();
    this.startWaiting();
  }

  private onGoAway(lastStreamId: number, code: number): void {
    this.goingAway = true;
    // Requests the server never saw fail at once; those it took are answered before it closes.
    const error = new Error(`the server is closing the connection (GOAWAY, HTTP/2 error ${code})`);
    for (const stream of [...this.streams.values()]) if (stream.id > lastStreamId) this.end(stream, error);
    for (const stream of this.waiting.splice(0)) stream.onEnd(stream, error);
    this.afterStreamEnd();
  }

  private retry(stream: Http2Stream): void {
    this.streams.delete(stream.id);
    stream.chunk = 0;
    stream.offset = 0;
    stream.data.length = 0;
    this.waiting.unshift(stream);
    this.afterStreamEnd();
  }

  private end(stream: Http2Stream, error: Error | undefined): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    stream.onEnd(stream, error);
    this.afterStreamEnd();
  }

  private afterStreamEnd(): void {
    if (this.closed) return;
    this.startWaiting();
    if (this.streams.size > 0) return;
    this.socket.unref();
    if (this.goingAway) {
      this.closed = true;
      this.socket.end();
      this.onGone();
    }
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxStreams && this.usable) this.start(this.waiting.shift()!);
  }

  /** The server broke the protocol: tell it, and fail what is under way. */
  private connectionError(code: number, message: string): void {
    if (this.closed) return;
    this.socket.write(frame(GOAWAY, 0, 0, Buffer.concat([uint32(0), uint32(code)]))); // no stream of the server's was processed
    this.socket.end();
    this.fail(new Error(`HTTP/2 protocol error: ${message}`));
  }

  /** The connection is unusable (a socket error, or it closed): every request under way fails with `error`. */
  private fail(error: Error): void {
    const wasClosed = this.closed;
    this.closed = true;
    this.socket.destroy();
    const streams = [...this.streams.values(), ...this.waiting];
    this.streams.clear();
    this.waiting.length = 0;
    for (const stream of streams) stream.onEnd(stream, error);
    if (!wasClosed) this.onGone();
  }
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.allocUnsafe(9);
  header[0] = length >>> 16;
  header[1] = (length >>> 8) & 0xff;
  header[2] = length & 0xff;
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return header;
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
}

function settingsPayload(settings: [number, number][]): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return payload;
}
