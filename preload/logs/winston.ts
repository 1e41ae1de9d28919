// winston: @opentelemetry/instrumentation-winston patches Logger#write (each line gains the
// trace fields and remembers its context) and Logger#configure (every logger gets
// @opentelemetry/winston-transport, which emits each line as a record).
import { logs } from '@opentelemetry/api';
import type { WinstonInstrumentation } from '@opentelemetry/instrumentation-winston';
import type { LogLibraryOptions } from './log-libraries';
import { addRequestFields } from './line-fields';

/** The global of @opentelemetry/api-logs 0.x, which the transport logs through (api-logs' own compatibility version is 1). */
const API_LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');

export function winstonInstrumentation(options: LogLibraryOptions): WinstonInstrumentation {
  if (options.send) bridgeApiLogs();
  const { WinstonInstrumentation } = require('@opentelemetry/instrumentation-winston') as typeof import('@opentelemetry/instrumentation-winston');
  return new WinstonInstrumentation({ enabled: false, disableLogSending: !options.send, logHook: addRequestFields });
}

/**
 * The transport gets its logger from @opentelemetry/api-logs 0.x, whose global provider is
 * separate from @opentelemetry/api 1.10's `logs` (where ours is registered), so its records
 * would go nowhere. Register ours there too, the way api-logs itself does, unless the app did.
 */
function bridgeApiLogs(): void {
  const global = globalThis as Record<symbol, unknown>;
  if (global[API_LOGS_GLOBAL]) return;
  global[API_LOGS_GLOBAL] = (version: number) => (version === 1 ? logs.getLoggerProvider() : undefined);
}
