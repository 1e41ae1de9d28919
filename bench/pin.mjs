// PIN=1 for the bench tools: the process under test gets the last CPU to itself and the tool
// (load generator, probe client, sink) the others, so that the two do not take turns on one core.
// On a 2-core machine that contention is most of the run-to-run spread.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Moves this process (all its threads, and the children it starts from now on) to every CPU but
 * the last, and returns the CPU lists: `app`, the last one, for `taskset -c`, and `harness`.
 * Exits with code 2 and says why when that cannot be done. Pins once; later calls return the same lists.
 */
export function pinToOtherCpus() {
  // Once per process: pinned, this process sees only the harness's CPUs.
  return (pinned ??= pin());
}

let pinned;

function pin() {
  const cpus = availableParallelism();
  const harness = cpus > 2 ? `0-${cpus - 2}` : '0';
  const set = cpus >= 2 && spawnSync('taskset', ['-a', '-p', '-c', harness, String(process.pid)], { stdio: 'ignore' });
  if (!set || set.status !== 0) {
    console.error(cpus < 2 ? 'PIN=1 needs 2 CPUs or more' : 'PIN=1 needs taskset (util-linux)');
    process.exit(2);
  }
  return { app: String(cpus - 1), harness };
}

/** `node args` as a command line: on the app's CPU when pinned (`pin` from pinToOtherCpus), as it is otherwise. */
export function onAppCpu(pin, node, args) {
  return pin ? ['taskset', ['-c', pin.app, node, ...args]] : [node, args];
}
