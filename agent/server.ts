// The agent's HTTP endpoints. Every answer is computed from state in memory (no I/O), so a probe
// costs microseconds however often the kubelet, or anyone, calls it.
//   /healthz (/livez)  liveness     200, or 503 with the reason
//   /readyz            readiness    200, or 503; the body lists every check
//   /startupz          startup      200 once the app has come up
//   /metrics           Prometheus text
// The preload ignores /healthz, /readyz, /livez and /metrics by default, so an agent that runs
// under the same NODE_OPTIONS as the app does not trace its own probes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProbeAnswer } from './probes';

export interface Endpoints {
  liveness(): ProbeAnswer;
  readiness(): ProbeAnswer;
  startup(): ProbeAnswer;
  metrics(): { contentType: string; body: string };
}

export interface AgentServer {
  /** http://host:port as bound (the real port when 0 was asked for). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const PATHS = ['/healthz', '/livez', '/readyz', '/startupz', '/metrics'];

export function startServer(listen: { host: string | undefined; port: number }, endpoints: Endpoints): Promise<AgentServer> {
  const server: Server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => handle(req, res, endpoints));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${listen.host ?? '0.0.0.0'}:${listen.port}`;
      const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EADDRNOTAVAIL' ? 'no such address here' : err.message;
      reject(new Error(`cannot listen on ${where}: ${why}; set NODETEL_AGENT_PORT / NODETEL_AGENT_HOST (or server.port / server.host)`));
    });
    server.listen(listen.port, listen.host, () => {
      server.removeAllListeners('error');
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}

function handle(req: IncomingMessage, res: ServerResponse, endpoints: Endpoints): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, req, 405, 'application/json; charset=utf-8', JSON.stringify({ error: 'only GET and HEAD are served' }), { allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/healthz':
    case '/livez':
      return probe(req, res, endpoints.liveness());
    case '/readyz':
      return probe(req, res, endpoints.readiness());
    case '/startupz':
      return probe(req, res, endpoints.startup());
    case '/metrics': {
      const { contentType, body } = endpoints.metrics();
      return send(res, req, 200, contentType, body);
    }
    default:
      send(res, req, 404, 'application/json; charset=utf-8', JSON.stringify({ error: 'not found', endpoints: PATHS }));
  }
}

function probe(req: IncomingMessage, res: ServerResponse, answer: ProbeAnswer): void {
  send(res, req, answer.ok ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(answer.body));
}

function send(res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}
