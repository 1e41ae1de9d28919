// A TCP proxy the tests control, in front of a dependency or a Collector.
import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a dependency. close() makes it unreachable (the listener
 * is closed and every connection through it destroyed); open() listens again on the same port.
 * `accepted` counts the connections that came through: what the dependency saw from the agent;
 * `bytesFromClients` the bytes they sent through it.
 */
export interface TcpProxy {
  port: number;
  accepted: number;
  bytesFromClients: number;
  /** Connections open right now. */
  readonly open: number;
  /** The local ports of the proxy's connections to the dependency: how the server sees them. */
  upstreamPorts: Set<number>;
  close(): Promise<void>;
  reopen(): Promise<void>;
  /** The next n connections are accepted and destroyed at once (a blip). */
  failNext(n: number): void;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let failing = 0;
  const server = net.createServer((client) => {
    proxy.accepted++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('data', (chunk: Buffer) => (proxy.bytesFromClients += chunk.length));
    client.on('error', () => {});
    if (failing > 0) {
      failing--;
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.once('connect', () => proxy.upstreamPorts.add(upstream.localPort!));
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const proxy: TcpProxy = {
    port,
    accepted: 0,
    bytesFromClients: 0,
    upstreamPorts: new Set(),
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
    reopen: () => listen(port),
    failNext(n) {
      failing = n;
    },
  };
  proxies.push(proxy);
  return proxy;
}

const proxies: TcpProxy[] = [];

export async function closeProxies(): Promise<void> {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
}
