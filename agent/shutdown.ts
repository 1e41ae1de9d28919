// SIGTERM (or SIGINT): /readyz answers 503 at once so the pod leaves the load balancer, the agent
// keeps answering every probe for the drain period, then stops everything and exits 0. Runs once;
// a second signal exits at once (Ctrl-C twice). `exit` is injected, so tests need no real exit.
import type { Logger } from './log';

export interface Drainable {
  drain(): void;
  close(): Promise<void>;
}

export interface ShutdownOptions {
  drainMs: number;
  log: Logger;
  exit: (code: number) => void;
  /** Where signals come from; default process. */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export function shutdownOnSignals(agent: Drainable, { drainMs, log, exit, signals = process }: ShutdownOptions): () => void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      log.warn(`${signal} again: exiting now, without waiting for the drain`);
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    started = true;
    agent.drain();
    log.info(`${signal}: readiness now fails; still answering for ${drainMs} ms (drain), then exiting`);
    setTimeout(() => {
      agent.close().then(
        () => {
          log.info('drained; exiting');
          exit(0);
        },
        (err: unknown) => {
          log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          exit(1);
        },
      );
    }, drainMs).unref();
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  return () => {
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  };
}
