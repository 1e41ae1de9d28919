/**
 * Spawns the fixture apps in test/fixtures as real Node processes, with or
 * without the preload, and tracks them so none outlives the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PRELOAD = path.join(REPO_ROOT, 'preload');
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

/** Pinned Node binaries: 24 from devDependencies, the others from test/runtimes. The system `node` is older than what we support. */
export const NODE24 = path.join(REPO_ROOT, 'node_modules/.bin/node');
export const NODE22 = path.join(REPO_ROOT, 'test/runtimes/node_modules/node22/bin/node');
/** Older than the supported floor: the preload must step aside on it. */
export const NODE20 = path.join(REPO_ROOT, 'test/runtimes/node_modules/node20/bin/node');
/** Both, for describe.each. */
export const NODES: { name: string; bin: string }[] = [
  { name: 'node24', bin: NODE24 },
  { name: 'node22', bin: NODE22 },
];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningApp {
  port: number;
  /** 'http://127.0.0.1:<port>' */
  url: string;
  child: ChildProcess;
  /** Everything the app printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is complete. */
  exited: Promise<Exit>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILLs after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface SpawnOptions {
  /** Applied over the cleaned environment; `undefined` deletes a variable. */
  env?: Record<string, string | undefined>;
  /** The Node binary; default NODE24. */
  node?: string;
  /** Load the preload; default true. */
  preload?: boolean;
  /**
   * Pass the preload through NODE_OPTIONS="--require <abs>" instead of argv,
   * as users of `docker run -e NODE_OPTIONS=...` do, and run from os.tmpdir()
   * so nothing can be found through the working directory. opts.env can still
   * override NODE_OPTIONS.
   */
  nodeOptions?: boolean;
  /** Extra arguments for the app, after the fixture path. */
  args?: string[];
  /** Working directory; default the repo root (os.tmpdir() with nodeOptions). */
  cwd?: string;
}

export interface AppOptions extends SpawnOptions {
  /** Printed on stdout once the app is ready; group 1 is the port (0 without a group). Default /listening (\d+)/. */
  ready?: RegExp;
}

export interface ScriptOptions extends SpawnOptions {
  /** The script is SIGKILLed and runScript rejects if it has not exited by then; default 30000. */
  timeoutMs?: number;
}

export interface ScriptResult extends Exit {
  stdout: string;
  stderr: string;
}

/** How long an app may take to print its ready line; generous for a loaded 2-core machine. */
const READY_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 10_000;

/** Every child still running, killed when the test process exits, whatever way a test ended. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** process.env without anything that would configure OpenTelemetry or Node from the outside. */
function childEnv(opts: SpawnOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OTEL_') && key !== 'NODE_OPTIONS') env[key] = value;
  }
  if (opts.preload !== false && opts.nodeOptions) env.NODE_OPTIONS = `--require "${PRELOAD}"`;
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

function spawnFixture(fixture: string, opts: SpawnOptions): Spawned {
  const preloadArgs = opts.preload !== false && !opts.nodeOptions ? ['--require', PRELOAD] : [];
  const child = spawn(opts.node ?? NODE24, [...preloadArgs, path.join(FIXTURES, fixture), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? (opts.nodeOptions ? os.tmpdir() : REPO_ROOT),
    env: childEnv(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close' rather than 'exit': it comes after stdout and stderr are fully read.
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', (error) => {
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

function withOutput(message: string, spawned: Spawned): Error {
  return new Error(`${message}\n--- stdout ---\n${spawned.stdout()}\n--- stderr ---\n${spawned.stderr()}`);
}

/** Starts a long-running fixture and resolves once it printed its ready line. */
export function startApp(fixture: string, opts: AppOptions = {}): Promise<RunningApp> {
  const ready = opts.ready ?? /listening (\d+)/;
  const spawned = spawnFixture(fixture, opts);
  const { child, stdout, stderr, exited } = spawned;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(killer);
    }
  };

  return new Promise<RunningApp>((resolve, reject) => {
    const fail = (message: string): void => {
      cleanup();
      reject(withOutput(message, spawned));
    };
    const onData = (): void => {
      const match = ready.exec(stdout());
      if (!match) return;
      cleanup();
      const port = Number(match[1] ?? 0);
      resolve({ port, url: `http://127.0.0.1:${port}`, child, stdout, stderr, exited, stop });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`${fixture} did not print ${ready} within ${READY_TIMEOUT_MS} ms`);
    }, READY_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
    };
    // Registered after spawnFixture's own listener, so stdout() already holds the new chunk.
    child.stdout!.on('data', onData);
    // Only matters before the ready line: a settled promise ignores later calls.
    exited.then(
      ({ code, signal }) => fail(`${fixture} exited (code ${code}, signal ${signal}) before printing ${ready}`),
      (error: Error) => fail(`${fixture} could not be started: ${error.message}`),
    );
  });
}

/** Runs a fixture that exits by itself and resolves with how it exited and what it printed. */
export async function runScript(fixture: string, opts: ScriptOptions = {}): Promise<ScriptResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const spawned = spawnFixture(fixture, opts);
  const { child, stdout, stderr, exited } = spawned;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const exit = await exited;
    if (timedOut) throw withOutput(`${fixture} did not exit within ${timeoutMs} ms`, spawned);
    return { ...exit, stdout: stdout(), stderr: stderr() };
  } finally {
    clearTimeout(timer);
  }
}
