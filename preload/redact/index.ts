// Redaction: what the preload exports (log bodies, log and span attributes, url.query) passes
// through a Redactor first. See redact.ts.
export { createRedactor, redactOptionProblems, MAX_DEPTH, type RedactOptions, type Redactor } from './redact';
export { RedactOptionError, type RedactProblem } from './errors';
export { REDACTED } from './patterns';
