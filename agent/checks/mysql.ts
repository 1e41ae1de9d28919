// mysql / mariadb: connect, run `SELECT 1` (or the configured query), disconnect, with mysql2.
// A full handshake every run: a bare TCP connect would count as a connection error on the
// server, and after max_connect_errors of those MySQL blocks the host.
import type * as Mysql from 'mysql2';
import type { SqlCheckConfig } from '../config';
import { noop, onAbort, withPassword, type Check } from './check';

export function createMysqlCheck(config: SqlCheckConfig): Check {
  const mysql = require('mysql2') as typeof Mysql;
  const uri = withPassword(config.url, config.password);
  return {
    async run(signal) {
      const connection = mysql.createConnection({ uri, connectTimeout: config.timeoutMs });
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
