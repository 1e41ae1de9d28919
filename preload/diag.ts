// Where the OpenTelemetry libraries' own diagnostics (api.diag) go: stderr, prefixed, and each
// distinct message once, so a Collector that stays down cannot flood the app's stderr.
import type { DiagLogger } from '@opentelemetry/api';
import { reportOnce } from './report';

const say =
  (level: string) =>
  (message: string, ...args: unknown[]): void =>
    reportOnce(`otel ${level}: ${[message, ...args.map(String)].join(' ')}`, `${level}:${message}`);

export const diagLogger: DiagLogger = {
  error: say('error'),
  warn: say('warn'),
  info: say('info'),
  debug: say('debug'),
  verbose: say('verbose'),
};
