// mysql / mariadb: connect, run `SELECT 1` (or the configured query), disconnect, with mysql2.
// A full handshake every run: a bare TCP connect would count as a connection error on the
// server, and after max_connect_errors of those MySQL blocks the host.
// mysql2 requires node:tls at load (about 4.5 MB of RSS) but uses it only for TLS connections: it
// is given checks/lazy-tls.ts instead, which loads node:tls on first use (checks/load.ts); its
// table of error names likewise (checks/lazy-mysql-errors.ts, 0.5 MB of heap); node:crypto, which
// only a password exchange uses, and then mostly to hash, is given as checks/password-crypto.ts
// (SHA-1 and SHA-256 in JavaScript, the rest of node:crypto on first use). And
// `long`, mysql2's 64-bit integers, compiles a WebAssembly module at load for faster multiply and
// divide, starting V8's WebAssembly engine (about 2 MB) for it; it falls back to plain JavaScript
// when WebAssembly is not there, so mysql2 is loaded with the global hidden, synchronously.
// Its two caches are sized for what a check does (one text query, no prepared statements): by
// default each is four preallocated arrays for 15,000-16,000 entries, 0.5 MB for the row-parser
// cache at load and 0.5 MB more for every connection's statement cache, which with a new
// connection per run is 0.5 MB of garbage per run.
// Every handshake decodes the server's version string as cesu8 through iconv-lite, which on its
// first decode loads the tables of every encoding it knows (about 1.4 MB of RSS), though cesu8 is
// one of the few that Node decodes itself. iconv-lite is given those first, and the rest only if
// something asks for another encoding.
import { dirname, join } from 'node:path';
import type * as Mysql from 'mysql2';
import type { SqlCheckConfig } from '../config';
import { noop, onAbort, withPassword, type Check } from './check';
import { loadReplacing } from './load';

/** Row parsers kept: one per distinct result shape, so one per mysql check's query is plenty. */
const PARSER_CACHE_SIZE = 16;

let mysql2: typeof Mysql | undefined;
const loadMysql2 = (): typeof Mysql => {
  if (mysql2) return mysql2;
  mysql2 = loadReplacing(
    [
      { specifier: 'tls', from: '/node_modules/mysql2/', with: { file: join(__dirname, 'lazy-tls.js') } },
      { specifier: 'crypto', from: '/node_modules/mysql2/', with: { file: join(__dirname, 'password-crypto.js') } },
      { specifier: '../constants/errors.js', from: '/node_modules/mysql2/lib/', with: { file: join(__dirname, 'lazy-mysql-errors.js') } },
    ],
    () => withoutWebAssembly(() => require('mysql2') as typeof Mysql),
  );
  internalEncodingsFirst();
  return mysql2;
};

/** Node's own encodings for mysql2's iconv-lite (its `encodings`, which it fills on first use when empty); the full set on the first other one asked for. */
function internalEncodingsFirst(): void {
  const paths = [dirname(require.resolve('mysql2'))];
  const iconv = require(require.resolve('iconv-lite', { paths })) as { encodings: object | null };
  if (iconv.encodings) return; // already loaded in full
  const dir = dirname(require.resolve('iconv-lite/package.json', { paths }));
  let all: Record<string, unknown> | undefined;
  const rest = new Proxy({}, { get: (_, name) => (all ??= require(join(dir, 'encodings')) as Record<string, unknown>)[name as string] });
  iconv.encodings = Object.assign(Object.create(rest) as object, require(join(dir, 'encodings/internal')));
}

function withoutWebAssembly<T>(load: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');
  if (!descriptor?.configurable) return load();
  delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
  try {
    return load();
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', descriptor);
  }
}

export function createMysqlCheck(config: SqlCheckConfig): Check {
  const mysql = loadMysql2();
  mysql.setMaxParserCache(PARSER_CACHE_SIZE);
  const uri = withPassword(config.url, config.password);
  return {
    async run(signal) {
      const connection = mysql.createConnection({ uri, connectTimeout: config.timeoutMs, maxPreparedStatements: 1 });
      connection.on('error', noop);
      const off = onAbort(signal, () => connection.destroy());
      let connected = false;
      try {
        await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
        connected = true;
        await new Promise<void>((resolve, reject) => connection.query(config.query, (err) => (err ? reject(err) : resolve())));
      } finally {
        off();
        // A clean COM_QUIT when the session is up (else the server logs an aborted connection);
        // after a failed handshake end() would never call back, so the socket is just closed.
        if (connected && !signal.aborted) await new Promise<void>((resolve) => connection.end(() => resolve()));
        else connection.destroy();
      }
    },
  };
}
