// Runs every check on its own schedule, never because of a probe: a probe only reads the state
// this updates. The next run of a check starts `interval` after the previous one ended, so runs of
// one check never overlap; all checks start at once so readiness has its first results quickly.
import { createCheck, type Check } from './checks';
import { runCheck } from './checks/run';
import type { CheckResult, CheckState, CheckStatus } from './check-state';

export type ResultListener = (state: CheckState, result: CheckResult, changed: CheckStatus | undefined) => void;

export class Scheduler {
  private readonly entries: { state: CheckState; check: Check; timer?: NodeJS.Timeout; running?: Promise<void> }[];
  private readonly stopping = new AbortController();

  constructor(
    states: readonly CheckState[],
    private readonly now: () => number,
    private readonly onResult: ResultListener,
  ) {
    this.entries = states.map((state) => ({ state, check: createCheck(state.config) }));
  }

  start(): void {
    for (const entry of this.entries) this.run(entry);
  }

  private run(entry: (typeof this.entries)[number]): void {
    if (this.stopping.signal.aborted) return;
    entry.running = runCheck(entry.check, entry.state.config, this.now, this.stopping.signal).then((result) => {
      entry.running = undefined;
      if (this.stopping.signal.aborted) return;
      const changed = entry.state.record(result);
      this.onResult(entry.state, result, changed);
      entry.timer = setTimeout(() => this.run(entry), entry.state.config.intervalMs).unref();
    });
  }

  /** Stops scheduling, aborts runs in flight and closes what the checks keep open. */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    for (const entry of this.entries) clearTimeout(entry.timer);
    await Promise.all(this.entries.map((e) => e.running));
    await Promise.all(this.entries.map((e) => e.check.close?.().catch(() => {})));
  }
}
