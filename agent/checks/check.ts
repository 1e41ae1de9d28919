// What every kind of check implements. A run resolves when the dependency answered as expected
// and rejects otherwise; when `signal` aborts (the timeout, or shutdown) it must let go of
// everything it opened: the runner does not wait for it. Client libraries are loaded when the
// first check of their kind is created, so an agent without a redis check never loads ioredis.
export interface Check {
  run(signal: AbortSignal): Promise<void>;
  /** Releases what the check keeps between runs (a connection pool). */
  close?(): Promise<void>;
}

/** Calls `release` once when the signal aborts (or at once if it already has). Returns the unsubscriber. */
export function onAbort(signal: AbortSignal, release: () => void): () => void {
  if (signal.aborted) {
    release();
    return () => {};
  }
  const listener = (): void => release();
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** The URL with its password replaced (so a password given apart need not be percent-encoded into it). */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function noop(): void {}
