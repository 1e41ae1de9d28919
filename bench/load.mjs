// The load every bench tool puts on the app, and how the tools start the app beside its sink and stop it.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { APP_LOG_ENV, BENCH_DIR, childEnv, lineFrom } from './configs.mjs';
import { onAppCpu, pinToOtherCpus } from './pin.mjs';
import { startSink } from './sink-process.mjs';
import { nextUserId } from './user-ids.cjs';

// PIN=1, as in run.mjs: the app on the last CPU, this tool (load generator) and the sink on the others.
const PIN = process.env.PIN === '1' ? pinToOtherCpus() : null;


/** The bench's load: GET /users/<pseudo-random id> for `seconds`, as fast as it goes or at `rate` requests a second (0: as fast as it goes). */
export function usersLoad(port, seconds, { rate, connections = 32 } = {}) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/users/${nextUserId()}` }) }],
    ...(rate ? { overallRate: rate } : {}),
  });
}

/** SIGTERM, so that the app can flush to the sink on its way out; waits up to 10 s for it. */
export async function stopApp(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
}

/**
 * The sink, then the app of `cfg` under Node `flags` (before the config's own), with the bench's
 * environment (APP_LOG's included). Resolves once the app listens, with its port and a stop()
 * that stops the app first, so that it can flush to the sink on its way out, then the sink.
 */
export async function startWithSink(cfg, flags = []) {
  const { sink, grpcPort } = await startSink();
  let child;
  const stop = async () => {
    if (child) await stopApp(child);
    sink.kill('SIGTERM');
  };
  try {
    const env = childEnv({ ...cfg.env, ...APP_LOG_ENV, PORT: '0', HOST: '127.0.0.1' }, `127.0.0.1:${grpcPort}`);
    const [command, argv] = onAppCpu(PIN, process.execPath, [...flags, ...cfg.args, cfg.app]);
    child = spawn(command, argv, { cwd: BENCH_DIR, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const [, port] = await lineFrom(child, /listening (\d+)/);
    return { child, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
