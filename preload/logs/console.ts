// console.log / info / warn / error / debug as log records. The app's console methods are
// replaced by ones that first call the original with the same arguments (so what is printed
// does not change by a byte) and then emit a record: console has no diagnostics channel.
// The record is made inside the caller's context, so it carries the request's trace and id.
// With `json`, what is printed becomes one JSON line per call instead (time, level, msg,
// trace_id, span_id, request_id), for clusters that collect stdout rather than OTLP.
import { format } from 'node:util';
import { trace, type Context, type LogRecord } from '@opentelemetry/api';
import type { Redactor } from '../redact';
import { LOGGED_REQUEST_ID_KEY, REQUEST_ID_KEY, activeContext } from '../trace/context';

const LEVELS = {
  debug: { severityNumber: 5, severityText: 'DEBUG', stream: 'stdout' },
  log: { severityNumber: 9, severityText: 'INFO', stream: 'stdout' },
  info: { severityNumber: 9, severityText: 'INFO', stream: 'stdout' },
  warn: { severityNumber: 13, severityText: 'WARN', stream: 'stderr' },
  error: { severityNumber: 17, severityText: 'ERROR', stream: 'stderr' },
} as const;

/** `emit` takes records as they may leave the process: what the app wrote is masked here. */
export function captureConsole(emit: ((record: LogRecord) => void) | undefined, redactor: Redactor, json: boolean): void {
  let inside = false; // a record that itself ends up on the console must not loop
  for (const [method, level] of Object.entries(LEVELS)) {
    const name = method as keyof typeof LEVELS;
    const original = console[name];
    console[name] = function (this: unknown, ...args: unknown[]) {
      if (inside) return original.apply(this, args);
      inside = true;
      try {
        const ctx = activeContext();
        // What console itself prints for the common single string, without formatting it again.
        const message = args.length === 1 && typeof args[0] === 'string' ? args[0] : format(...args);
        if (json) original.call(this, jsonLine(level.severityText, message, ctx));
        else original.apply(this, args);
        try {
          emit?.(record(redactor, level, message, args, ctx));
        } catch {
          // Telemetry must never break a console call.
        }
      } finally {
        inside = false;
      }
    };
  }
}

function record(redactor: Redactor, level: (typeof LEVELS)[keyof typeof LEVELS], message: string, args: unknown[], ctx: Context): LogRecord {
  const attributes: LogRecord['attributes'] = { 'log.iostream': level.stream };
  const requestId = ctx.getValue(LOGGED_REQUEST_ID_KEY);
  if (typeof requestId === 'string') attributes.request_id = requestId;
  const error = firstError(args);
  if (error) {
    attributes['exception.type'] = redactor.string(String(error.name));
    attributes['exception.message'] = redactor.string(String(error.message));
    if (error.stack) attributes['exception.stacktrace'] = redactor.string(String(error.stack));
  }
  return { severityNumber: level.severityNumber, severityText: level.severityText, body: redactor.string(message), attributes, context: ctx };
}

function firstError(args: unknown[]): Error | undefined {
  for (let i = 0; i < args.length; i++) if (args[i] instanceof Error) return args[i] as Error;
  return undefined;
}

function jsonLine(level: string, msg: string, ctx: Context): string {
  const span = trace.getSpanContext(ctx);
  const line: Record<string, string> = { time: new Date().toISOString(), level: level.toLowerCase(), msg };
  if (span) {
    line.trace_id = span.traceId;
    line.span_id = span.spanId;
  }
  const requestId = ctx.getValue(REQUEST_ID_KEY);
  if (typeof requestId === 'string') line.request_id = requestId;
  return JSON.stringify(line);
}
