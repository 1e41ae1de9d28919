// One run of one check, bounded by its timeout: the result says whether it passed, how long it
// took and, if not, why, in one line with every secret of the check masked. Runs happen with
// tracing suppressed, so that an agent running under the nodetel preload traces none of them.
import type { CheckConfig } from '../config';
import { CheckTimeoutError, describeError } from '../errors';
import { scrub } from '../redact';
import type { CheckResult } from '../check-state';
import { noop, type Check } from './check';
import { suppressTracing } from './suppress';

export async function runCheck(check: Check, config: CheckConfig, now: () => number, stop?: AbortSignal): Promise<CheckResult> {
  const controller = new AbortController();
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (0.3 MB of RSS).
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const aborted = new Promise<never>((_, reject) => {
    // Not unref'd, unlike the agent's other timers: it lives at most one timeout, and `agent check`
    // must wait for it even when a driver has let go of every handle without settling its promise.
    timer = setTimeout(() => controller.abort(new CheckTimeoutError(config.timeoutMs)), config.timeoutMs);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(noop);
  const onStop = (): void => controller.abort(new Error('the agent is stopping'));
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    const running = suppressTracing(() => check.run(controller.signal));
    running.catch(noop); // it may settle after the timeout: nobody waits for it then
    await Promise.race([running, aborted]);
    return { ok: true, durationMs: elapsedMs(started), at: now() };
  } catch (err) {
    const reason = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : err;
    return { ok: false, durationMs: elapsedMs(started), at: now(), error: scrub(describeError(reason), config.secrets) };
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
    if (!controller.signal.aborted) controller.abort(new Error('run finished'));
  }
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}
