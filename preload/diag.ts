// Where the OpenTelemetry libraries' own diagnostics (api.diag) go: stderr, prefixed, one line
// each, and each kind of message once, so a Collector that stays down cannot flood the app's
// stderr. The SDK's error handler logs whole errors as JSON with their stacks; only the message
// is kept, and messages are told apart by their start (the end often carries volatile detail).
import type { DiagLogger } from '@opentelemetry/api';
import { reportOnce } from './report';

const say =
  (level: string) =>
  (message: string, ...args: unknown[]): void => {
    const text = readable([message, ...args.map(String)].join(' '));
    reportOnce(`otel ${level}: ${text}`, `${level}:${text.slice(0, 60)}`);
  };

function readable(text: string): string {
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // Not JSON after all: print it as it is.
    }
  }
  return text.split('\n')[0] ?? text;
}

export const diagLogger: DiagLogger = {
  error: say('error'),
  warn: say('warn'),
  info: say('info'),
  debug: say('debug'),
  verbose: say('verbose'),
};
