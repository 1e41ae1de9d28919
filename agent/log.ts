// The agent's own log: one line per event, on stdout, as text (`nodetel-agent: ...`) or JSON
// lines (NODETEL_AGENT_LOG_FORMAT=json). It logs changes (a check starts or stops failing, the app
// goes silent, shutdown), never every probe or every run. Messages are already free of secrets.
import { isoTime } from './iso-time';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(format: 'text' | 'json', write: (line: string) => void = (line) => process.stdout.write(line), now: () => number = Date.now): Logger {
  const emit = (level: string, message: string, fields?: Record<string, unknown>): void => {
    try {
      if (format === 'json') write(`${JSON.stringify({ time: isoTime(now()), level, msg: message, ...fields })}\n`);
      else write(`nodetel-agent: ${level === 'info' ? '' : `${level}: `}${message}\n`);
    } catch {
      // stdout closed: nothing left to tell.
    }
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
