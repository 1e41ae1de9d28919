// tcp: a connection is accepted, then closed at once.
import { connect } from 'node:net';
import type { TcpCheckConfig } from '../config';
import { onAbort, type Check } from './check';

export function createTcpCheck(config: TcpCheckConfig): Check {
  return {
    run: (signal) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host: config.host, port: config.port });
        const off = onAbort(signal, () => socket.destroy());
        socket.once('connect', () => {
          off();
          socket.destroy();
          resolve();
        });
        socket.once('error', (err) => {
          off();
          socket.destroy();
          reject(err);
        });
      }),
  };
}
