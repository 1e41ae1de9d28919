// The public API of `nodetel/logger` (CommonJS and ESM). logger.ts is checked against it.
import type { Logger } from 'winston';

/** Fields added to every line for the rest of the current request (or, outside one, of the current async flow). */
export type BoundFields = Record<string, unknown>;

export interface AuditEvent {
  /** Who did it, e.g. 'user:42'. */
  actor: string;
  /** What was done, e.g. 'account.update'. */
  action: string;
  /** What it was done to, e.g. 'account:7'. */
  target: string;
  before?: unknown;
  after?: unknown;
}

/**
 * A winston logger: JSON lines when NODE_ENV=production, readable coloured key=value otherwise;
 * level from LOG_LEVEL (default info). Inside a request every line carries request_id,
 * http.request.method, http.route, trace_id and span_id (under the preload) and what bindContext bound.
 */
export declare const logger: Logger;

/** Binds fields to every line logged for the rest of the current request. */
export declare function bindContext(fields: BoundFields): void;

/** Records an audit event: an `audit` log record that no level or sampling drops; secrets in it are redacted. */
export declare function audit(event: AuditEvent): void;
