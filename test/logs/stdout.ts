// Waiting for what an app prints: its stdout can arrive after the responses it printed it for.
import type { RunningApp } from '../helpers/app.ts';

/** Resolves with the first truthy check(stdout so far), re-checking on every chunk; rejects after timeoutMs naming `what`. */
export function waitForStdout<T>(app: RunningApp, check: (stdout: string) => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const stdout = app.child.stdout!;
    const attempt = (): boolean => {
      const result = check(app.stdout());
      if (!result) return false;
      clearTimeout(timer);
      stdout.off('data', onData);
      resolve(result);
      return true;
    };
    const onData = (): void => void attempt();
    const timer = setTimeout(() => {
      stdout.off('data', onData);
      reject(new Error(`no ${what} within ${timeoutMs} ms; stdout:\n${app.stdout().slice(-4000)}`));
    }, timeoutMs);
    if (!attempt()) stdout.on('data', onData);
  });
}

/** The first line the app prints containing `text`. */
export function waitForLine(app: RunningApp, text: string): Promise<string> {
  return waitForStdout(app, (stdout) => stdout.split('\n').find((l) => l.includes(text)), `line with "${text}"`);
}
