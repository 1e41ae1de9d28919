// winston and pino loggers the app creates, through the maintained instrumentations applied when
// the library compiles (frameworks/maintained.ts). Nothing of it loads unless the app loads
// winston or pino: this file only registers the file names to watch.
import { applyWhenCompiled } from '../frameworks/maintained';

export interface LogLibraryOptions {
  /** Send each line as a log record too (false when OTEL_LOGS_EXPORTER=none: the lines still gain the trace fields). */
  send: boolean;
}

export function observeWinston(options: LogLibraryOptions): void {
  applyWhenCompiled({
    name: 'winston',
    targets: [{ module: 'winston', file: 'lib/winston/logger.js' }],
    create: () => (require('./winston') as typeof import('./winston')).winstonInstrumentation(options),
  });
}

export function observePino(options: LogLibraryOptions): void {
  applyWhenCompiled({
    name: 'pino',
    targets: [{ module: 'pino', file: 'pino.js' }],
    create: () => (require('./pino') as typeof import('./pino')).pinoInstrumentation(options),
  });
}
