// postgres: connect, run `SELECT 1` (or the configured query), disconnect, with `pg`. A new
// connection each run: it proves that the server accepts connections (a full pool, a changed
// password and a failover all show), which a connection kept open would not.
// pg is given its password hashing lazily (checks/lazy-pg-crypto.ts, through checks/load.ts):
// node:crypto loads on the first password exchange, not with pg.
import { join } from 'node:path';
import type * as Pg from 'pg';
import type { SqlCheckConfig } from '../config';
import { noop, onAbort, withPassword, type Check } from './check';
import { loadReplacing } from './load';

let pg: typeof Pg | undefined;
const loadPg = (): typeof Pg => {
  if (pg) return pg;
  const lazyCrypto = { file: join(__dirname, 'lazy-pg-crypto.js') };
  pg = loadReplacing(
    [
      { specifier: './crypto/utils', from: '/node_modules/pg/lib/client.js', with: lazyCrypto },
      { specifier: './utils', from: '/node_modules/pg/lib/crypto/sasl.js', with: lazyCrypto },
    ],
    () => require('pg') as typeof Pg,
  );
  return pg;
};

export function createPostgresCheck(config: SqlCheckConfig): Check {
  const pg = loadPg();
  const connectionString = withPassword(config.url, config.password);
  return {
    async run(signal) {
      const client = new pg.Client({
        connectionString,
        connectionTimeoutMillis: config.timeoutMs,
        query_timeout: config.timeoutMs,
        application_name: 'nodetel-agent',
        keepAlive: false,
      });
      client.on('error', noop); // after an abort the socket's end may still be reported
      const off = onAbort(signal, () => {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        client.end().catch(noop);
      });
      try {
        await client.connect();
        await client.query(config.query);
      } finally {
        off();
        await client.end().catch(noop);
      }
    },
  };
}
