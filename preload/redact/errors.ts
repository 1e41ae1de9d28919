// A redaction option that cannot be used: which one, and why. The caller (config.ts) names the
// environment variable it came from when it reports the problem.

export interface RedactProblem {
  option: 'extraKeys' | 'extraPatterns';
  /** Position in the option's list. */
  index: number;
  /** The key or pattern as given. */
  value: string;
  /** What is wrong, and what would be accepted. */
  message: string;
}

export class RedactOptionError extends Error {
  override readonly name = 'RedactOptionError';
  readonly code = 'ERR_NODETEL_REDACT_OPTION';

  constructor(readonly problems: RedactProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}
