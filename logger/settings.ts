// The logger runs with or without the preload, so it cannot take the preload's configuration
// (preload/config.ts is read once when the preload starts, and not at all without it): this is
// the one place the logger reads the environment. A bad value is reported once and replaced.
import { reportOnce } from '../preload/report';

export const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type Level = (typeof LEVELS)[number];

export interface LoggerSettings {
  /** NODE_ENV=production: JSON lines; otherwise readable, coloured key=value lines. */
  production: boolean;
  /** LOG_LEVEL, default info. */
  level: Level;
  /** NO_COLOR (https://no-color.org) turns the colours of the readable lines off. */
  colour: boolean;
}

export function loggerSettings(env: Record<string, string | undefined> = process.env): LoggerSettings {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  let level: Level = 'info';
  if (raw && (LEVELS as readonly string[]).includes(raw)) level = raw as Level;
  else if (raw) reportOnce(`LOG_LEVEL=${raw} is not one of ${LEVELS.join(', ')}; using info`);
  return { production: env.NODE_ENV?.trim() === 'production', level, colour: !env.NO_COLOR };
}
