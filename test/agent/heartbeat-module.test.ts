// preload/heartbeat.ts on its own: what a datagram carries, and that it never keeps the app alive
// nor stops it (a bad target is said once on stderr and the app runs as before).
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/app.ts';
import { HEARTBEAT_PRELOAD } from './helpers.ts';

const sockets: ReturnType<typeof createSocket>[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function listener(): Promise<{ port: number; messages: Record<string, unknown>[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: socket.address().port, messages };
}

describe('the heartbeat in the app', () => {
  it('sends pid, event-loop delay and listening, and lets the process end by itself', async () => {
    const agent = await listener();
    const started = Date.now();
    const result = await runScript('agent/exits.cjs', {
      preload: false,
      env: { NODE_OPTIONS: `--require ${HEARTBEAT_PRELOAD}`, NODETEL_AGENT_HEARTBEAT: `udp://127.0.0.1:${agent.port}`, NODETEL_HEARTBEAT_INTERVAL_MS: '20' },
    });
    expect(result).toMatchObject({ code: 0, signal: null, stdout: 'done\n', stderr: '' });
    expect(Date.now() - started).toBeLessThan(5000);
    const pids = new Set(agent.messages.map((m) => m.pid));
    expect(pids.size).toBe(1);
    expect(agent.messages[0]).toMatchObject({ v: 1, type: 'nodetel.heartbeat', listening: false, seq: 1 });
    expect(agent.messages[0]!.instance).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.keys(agent.messages[0]!.delayMs as object).sort()).toEqual(['max', 'mean', 'p50', 'p99']);
  });

  it('says once why it cannot start, and the app runs as before', async () => {
    const result = await runScript('agent/exits.cjs', {
      preload: false,
      env: { NODE_OPTIONS: `--require ${HEARTBEAT_PRELOAD}`, NODETEL_AGENT_HEARTBEAT: 'tcp://127.0.0.1:4319' },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(result.stderr).toBe('nodetel: heartbeat not started: NODETEL_AGENT_HEARTBEAT="tcp://127.0.0.1:4319" must start with udp://, e.g. udp://127.0.0.1:4319\n');
  });

  it('sends nothing when nobody listens, without an error', async () => {
    const agent = await listener();
    const port = agent.port;
    sockets.pop()!.close(); // now nothing listens on that port: ICMP port unreachable
    const result = await runScript('agent/exits.cjs', {
      preload: false,
      env: { NODE_OPTIONS: `--require ${HEARTBEAT_PRELOAD}`, NODETEL_AGENT_HEARTBEAT: `udp://127.0.0.1:${port}`, NODETEL_HEARTBEAT_INTERVAL_MS: '10' },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'done\n', stderr: '' });
  });
});
