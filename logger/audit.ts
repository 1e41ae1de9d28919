// audit(): one record with event.name "audit" per call, sent through @opentelemetry/api's logs
// (the preload's pipeline, which redacts it like every record; nothing without the preload) and
// printed in the logger's format whatever LOG_LEVEL says: no level or sampling drops an audit
// event. Secrets in it (a password in `before`, say) are redacted in the printed line too; the
// rest (actor, action, target, the other fields) is kept as it is.
import { context, logs, type LogRecord, type Logger } from '@opentelemetry/api';
import type { Logform } from 'winston';
import { createRedactor, type Redactor } from '../preload/redact';
import { VERSION } from '../preload/version';
import { requestFields } from './request-scope';
import type { AuditEvent } from './types';

/** winston's key for the formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

export function auditWith(format: Logform.Format): (event: AuditEvent) => void {
  let redactor: Redactor | undefined;
  let otel: Logger | undefined;
  return (event) => {
    try {
      redactor ??= createRedactor();
      const fields = redactor.attributes({ ...requestFields(false), actor: event.actor, action: event.action, target: event.target, before: event.before, after: event.after });
      const message = `audit: ${event.actor} ${event.action} ${event.target}`;
      otel ??= logs.getLogger('nodetel/audit', VERSION);
      otel.emit({ eventName: 'audit', severityNumber: 9, severityText: 'INFO', body: message, attributes: fields as LogRecord['attributes'], context: context.active() });
      const info = format.transform({ level: 'info', message, 'event.name': 'audit', ...fields });
      if (info) process.stdout.write(`${String((info as Record<symbol, unknown>)[MESSAGE])}\n`);
    } catch {
      // Auditing must never break the operation it records.
    }
  };
}
