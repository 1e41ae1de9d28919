// Receives the app's heartbeats (preload/heartbeat.ts) on a loopback UDP socket. Anything that is
// not a heartbeat is dropped (and said once). Unref'd: the HTTP server is what keeps the agent up.
import { createSocket, type Socket } from 'node:dgram';
import { parseHeartbeat, type AppState } from './app-state';
import type { HeartbeatAddress } from './config';
import type { Logger } from './log';

export interface HeartbeatReceiver {
  /** The bound address (the port is the real one when 0 was configured). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export function startHeartbeatReceiver(at: HeartbeatAddress, app: AppState, now: () => number, log: Logger): Promise<HeartbeatReceiver> {
  const socket: Socket = createSocket({ type: at.family === 6 ? 'udp6' : 'udp4' });
  let warnedStray = false;
  let heard = false;
  socket.on('message', (data) => {
    const beat = parseHeartbeat(data);
    if (!beat) {
      if (!warnedStray) log.warn(`heartbeat: ignored a datagram that is not a nodetel heartbeat (said once)`);
      warnedStray = true;
      return;
    }
    // Said once; silences and recoveries after that are logged as liveness changes (agent.ts).
    if (!heard) log.info(`heartbeat: receiving from the app (pid ${beat.pid})`);
    heard = true;
    app.record(beat, now());
  });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => reject(new Error(`cannot receive heartbeats on udp://${at.host}:${at.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}; set NODETEL_AGENT_HEARTBEAT (or app.heartbeat) to a free port`)));
    socket.bind(at.port, at.host, () => {
      socket.removeAllListeners('error');
      socket.on('error', (err) => log.warn(`heartbeat: socket error: ${err.message}`));
      socket.unref();
      const address = socket.address();
      resolve({
        address: { host: address.address, port: address.port },
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
