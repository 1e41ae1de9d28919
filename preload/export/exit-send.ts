// process.exit() gives the 'exit' event and nothing after it: no timer, no socket callback
// ever runs again. To deliver what is still queued then, the encoded OTLP request is handed to
// a short-lived child process (exit-sender.ts) and this process waits for it, bounded by the
// shutdown deadline. Only the exit path pays for this; normal exports never spawn anything.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { OtlpConfig } from '../config';

export interface ExitTarget extends OtlpConfig {
  grpcPath: string;
}

export function sendSync(target: ExitTarget, body: Uint8Array, timeoutMillis: number): void {
  if (target.protocol === 'http/json') throw new Error('sending at exit supports grpc and http/protobuf only');
  // spawnSync's timeout 0 would wait for ever.
  if (timeoutMillis <= 0) throw new Error('the shutdown deadline (NODETEL_SHUTDOWN_TIMEOUT_MS) has passed');
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the sender must not load the preload again
  const result = spawnSync(process.execPath, [join(__dirname, 'exit-sender.js'), JSON.stringify(target)], {
    input: body,
    env,
    timeout: timeoutMillis,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(result.stderr.toString().trim() || `exit sender ended with ${result.status ?? result.signal}`);
}
