// Flushing on the way out, without changing how the app exits:
// - SIGTERM / SIGINT: if the app has its own handler, it stays in charge (we only start a
//   flush); if it has none, Node would have died of the signal, so after the flush (bounded by
//   the deadline) the signal is raised again with our listener gone: same death, same status.
// - beforeExit: the event loop is empty; a flush keeps it alive just long enough.
// - exit (process.exit(), or the end of a crash): nothing asynchronous runs any more, so what
//   is still queued is sent synchronously (export/exit-send.ts).
import { describe, reportOnce } from './report';

export interface Flushable {
  readonly name: string;
  flush(timeoutMillis: number): Promise<void>;
  /** Sends what is queued synchronously, within timeoutMillis in all (0: no time left, nothing is sent). */
  drainSync(timeoutMillis: number): void;
  hasPending(): boolean;
  droppedSummary(): string | undefined;
}

export function flushOnExit(parts: Flushable[], timeoutMillis: number): void {
  let flushing: Promise<void> | undefined;
  // Flushes, then lets one more turn of the event loop run and flushes again while that turn
  // ended anything new: a response whose 'finish' was due alongside the signal still makes it.
  const flushAll = (): Promise<void> =>
    (flushing ??= (async () => {
      const deadline = Date.now() + timeoutMillis;
      do {
        await Promise.all(parts.map((p) => flushQuietly(p, Math.max(0, deadline - Date.now()))));
        await new Promise((resolve) => setImmediate(resolve));
      } while (parts.some((p) => p.hasPending()) && Date.now() < deadline);
      flushing = undefined;
    })());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = (): void => {
      const appHandlesIt = process.listenerCount(signal) > 1;
      const done = flushAll();
      if (appHandlesIt) return;
      void done.finally(() => {
        reportDrops(parts);
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }

  process.on('beforeExit', () => {
    if (parts.some((p) => p.hasPending())) void flushAll();
  });

  process.on('exit', () => {
    // One deadline for all of it: however many batches wait, the app's exit is held this long at most.
    const deadline = Date.now() + timeoutMillis;
    for (const part of parts) part.drainSync(Math.max(0, deadline - Date.now()));
    reportDrops(parts);
  });
}

/** A flush that fails is reported, never thrown: an unhandled rejection here would kill the app. */
function flushQuietly(part: Flushable, timeoutMillis: number): Promise<void> {
  return part.flush(timeoutMillis).catch((err: unknown) => reportOnce(`${part.name}: the flush on exit failed (${describe(err)})`, `${part.name}-flush-failed`));
}

function reportDrops(parts: Flushable[]): void {
  for (const part of parts) {
    const summary = part.droppedSummary();
    if (summary) reportOnce(`${part.name}: ${summary}`, `${part.name}-dropped-summary`);
  }
}
