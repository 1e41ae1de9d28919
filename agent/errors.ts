// Errors with a stable `code` and `name`. Messages say what is wrong and how to fix it; they never
// carry a stack to the user, and never a secret (see redact.ts for how check errors are cleaned).

/** One problem in the configuration: where it is (file:line:col or the variable), the key, and what to do. */
export interface ConfigProblem {
  /** `agent.yaml:12:5` or `environment variable NODETEL_AGENT_PORT`. */
  where: string;
  /** `checks.orders.timeout`, or the variable name. */
  key: string;
  message: string;
}

/** The configuration cannot be used: the agent exits with code 2 and prints every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_NODETEL_AGENT_CONFIG';

  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  // `environment variable X: X: ...` would say the name twice.
  return p.where === p.key || p.where.endsWith(` ${p.key}`) ? `${p.where}: ${p.message}` : `${p.where}: ${p.key}: ${p.message}`;
}

/** A check did not answer within its timeout. */
export class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
  readonly code = 'ERR_NODETEL_CHECK_TIMEOUT';

  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms (timeout)`);
  }
}

/** A check got an answer, but not the expected one (an HTTP status, an unexpected reply). */
export class CheckFailedError extends Error {
  override readonly name = 'CheckFailedError';
  readonly code = 'ERR_NODETEL_CHECK_FAILED';
}

/** A short, single-line description of why a check failed: code and message, no stack. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // net's happy-eyeballs / multi-address connects: the individual reasons say more.
    return [...new Set(err.errors.map(describeError))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const message = err.message || err.name;
    const text = typeof code === 'string' && code && !code.startsWith('ERR_NODETEL') && !message.includes(code) ? `${code}: ${message}` : message;
    return text.replace(/\s+/g, ' ').trim().slice(0, 500);
  }
  return String(err).slice(0, 500);
}
