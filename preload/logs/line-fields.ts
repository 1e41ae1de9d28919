// What a log library's own line gains inside a request. The maintained instrumentations add
// trace_id, span_id and trace_flags and then call this hook: it adds request_id and drops
// trace_flags, so winston, pino and NODETEL_CONSOLE_JSON lines carry the same three fields.
import type { Span } from '@opentelemetry/api';
import { REQUEST_ID_KEY, activeContext } from '../trace/context';

export function addRequestFields(_span: Span, record: Record<string, unknown>): void {
  // Left out of the line as an undefined value (JSON drops it): \`delete\` would turn the record
  // into a slow dictionary-mode object for the rest of its way through the log library.
  record.trace_flags = undefined;
  const requestId = activeContext().getValue(REQUEST_ID_KEY);
  if (typeof requestId === 'string') record.request_id = requestId;
}
