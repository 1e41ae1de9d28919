// The load every bench tool puts on the app, and how it stops the app.
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

// Pseudo-random user ids (LCG): cheap, deterministic, different every request (and every round).
let seed = 12345;
const nextId = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return 1 + (seed % 100000);
};

/** The bench's load: GET /users/<pseudo-random id> for `seconds`, as fast as it goes or at `rate` requests a second. */
export function usersLoad(port, seconds, { rate, connections = 32 } = {}) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/users/${nextId()}` }) }],
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
