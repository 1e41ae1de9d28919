// The bench sink (sink.mjs) as a child process, for every tool that needs a Collector stand-in.
import { spawn } from 'node:child_process';
import { BENCH_DIR, childEnv, lineFrom } from './configs.mjs';

/** Starts the sink; resolves once it listens, with the process and its OTLP/gRPC port. */
export async function startSink() {
  const sink = spawn(process.execPath, ['sink.mjs'], { cwd: BENCH_DIR, env: childEnv({}), stdio: ['ignore', 'pipe', 'inherit'] });
  const [, grpcPort] = await lineFrom(sink, /sink ready (\d+)/);
  return { sink, grpcPort };
}
