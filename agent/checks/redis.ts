// redis: connect (TLS for rediss://), AUTH when the URL or `password:` has one, SELECT when the
// URL names a database, then PING, expecting PONG; QUIT. Spoken directly in RESP over node:net /
// node:tls: these four commands need nothing more, and a Redis client library would cost the
// agent about 8 MB of memory (see bench/agent-footprint.mjs). Replies to these commands are
// single lines: `+OK`, `+PONG`, or `-ERR ...`. node:tls (about 3 MB of RSS) is loaded only for
// rediss:// URLs.
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import type * as Tls from 'node:tls';
import type { RedisCheckConfig } from '../config';
import { CheckFailedError } from '../errors';
import { noop, onAbort, type Check } from './check';

export function createRedisCheck(config: RedisCheckConfig): Check {
  const url = new URL(config.url);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  const tls = url.protocol === 'rediss:';
  const username = decodeURIComponent(url.username);
  const password = config.password ?? decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\/+/, '');
  const commands: string[][] = [];
  if (password) commands.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  if (db && db !== '0') commands.push(['SELECT', db]);
  commands.push(['PING']);
  const request = commands.map(encode).join('');

  return {
    run: (signal) =>
      new Promise<void>((resolve, reject) => {
        const socket: Socket = tls ? (require('node:tls') as typeof Tls).connect({ host, port, servername: isIP(host) ? undefined : host }) : connectTcp({ host, port });
        let buffered = '';
        let replies = 0;
        let settled = false;
        const finish = (err?: Error): void => {
          if (settled) return;
          settled = true;
          off();
          if (err) {
            socket.destroy();
            reject(err);
          } else {
            socket.end(encode(['QUIT']));
            resolve();
          }
        };
        const off = onAbort(signal, () => {
          settled = true;
          socket.destroy();
        });
        socket.setNoDelay(true);
        socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(request));
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          buffered += chunk;
          let eol: number;
          while (!settled && (eol = buffered.indexOf('\r\n')) !== -1) {
            const line = buffered.slice(0, eol);
            buffered = buffered.slice(eol + 2);
            replies++;
            if (line.startsWith('-')) return finish(new CheckFailedError(`${commands[replies - 1]![0]} answered: ${line.slice(1)}`));
            if (replies === commands.length) return finish(line === '+PONG' ? undefined : new CheckFailedError(`PING answered ${JSON.stringify(line.slice(0, 40))}, expected PONG`));
          }
          if (buffered.length > 4096) finish(new CheckFailedError('not a Redis server (unexpected reply)'));
        });
        socket.on('error', (err) => finish(err));
        socket.on('close', () => finish(new CheckFailedError('connection closed before PING was answered')));
        socket.on('end', noop);
      }),
  };
}

/** A command as a RESP array of bulk strings. */
function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}
