// A crash is never lost: an uncaught exception (or an unhandled rejection that Node turns into
// one) becomes a FATAL record and an exception event on the active span, which is then ended.
// 'uncaughtExceptionMonitor' only observes: Node still prints what it prints and exits with
// the code it would have; the records go out synchronously on 'exit' (shutdown.ts).
import { trace, type LogRecord } from '@opentelemetry/api';
import { REQUEST_ID_KEY, activeContext } from '../trace/context';
import { RecordedSpan } from '../trace/span';

export function recordCrashes(emit: (record: LogRecord) => void): void {
  process.on('uncaughtExceptionMonitor', (error: unknown, origin: string) => {
    try {
      const ctx = activeContext();
      const err = error instanceof Error ? error : new Error(String(error));
      const attributes: LogRecord['attributes'] = {
        'exception.type': err.name,
        'exception.message': err.message,
        'exception.stacktrace': err.stack ?? String(err),
        'exception.origin': origin,
      };
      const requestId = ctx.getValue(REQUEST_ID_KEY);
      if (typeof requestId === 'string') attributes.request_id = requestId;
      emit({ severityNumber: 21, severityText: 'FATAL', body: `${origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception'}: ${err.message}`, attributes, context: ctx });
      const span = trace.getSpan(ctx);
      if (span instanceof RecordedSpan) {
        span.recordException(err);
        span.setStatus({ code: 2, message: err.message });
        span.end();
      }
    } catch {
      // Recording a crash must not add one.
    }
  });
}
