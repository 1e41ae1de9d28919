// How the preload speaks: on stderr, prefixed, and each distinct problem once. The app's own
// output must stay the app's, so nothing here repeats, however often a failure recurs.

const said = new Set<string>();

/** Prints `nodetel: <message>` once per distinct key (default: the message itself). */
export function reportOnce(message: string, key: string = message): void {
  if (said.has(key)) return;
  said.add(key);
  try {
    process.stderr.write(`nodetel: ${message}\n`);
  } catch {
    // stderr closed: nothing left to tell.
  }
}

/**
 * Wraps a diagnostics-channel subscriber so that an exception inside it never reaches the app:
 * the first one turns the subscriber off and is reported; the app runs on.
 */
export function guarded<M>(name: string, subscriber: (message: M) => void): (message: M) => void {
  let on = true;
  return (message: M) => {
    if (!on) return;
    try {
      subscriber(message);
    } catch (err) {
      on = false;
      reportOnce(`${name} disabled after an internal error (${describe(err)}); the app is unaffected`);
    }
  };
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
