// pino: @opentelemetry/instrumentation-pino wraps the pino() factory; each logger it makes adds
// the trace fields to its JSON lines (a mixin) and also writes every line to a stream that
// emits it as a record.
import type { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import type { LogLibraryOptions } from './log-libraries';
import { addRequestFields } from './line-fields';

export function pinoInstrumentation(options: LogLibraryOptions): PinoInstrumentation {
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  const instrumentation = new PinoInstrumentation({ enabled: false, disableLogSending: !options.send, logHook: addRequestFields });
  // Its patched pino asks isEnabled() for every logger and line; enabled:false (which keeps its
  // require hooks from installing) would make it answer no, though we applied its patch.
  instrumentation.isEnabled = () => true;
  return instrumentation;
}
