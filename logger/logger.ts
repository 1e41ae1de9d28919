// `nodetel/logger`: a structured logger for code that wants one. winston underneath, so under the
// preload its lines are also sent as OTLP records (the preload attaches its winston transport to
// every winston logger); without the preload it just prints.
import winston from 'winston';
import { auditWith } from './audit';
import { requestFields } from './request-scope';
import { loggerSettings } from './settings';
import type * as Api from './types';

export { bindContext } from './request-scope';

const settings = loggerSettings();

/** Adds the request's fields to the line; what the call itself passed wins. */
const inRequest = winston.format((info) => {
  for (const [key, value] of Object.entries(requestFields(true))) if (!(key in info)) info[key] = value;
  return info;
});

const format = settings.production
  ? winston.format.combine(winston.format.errors({ stack: true }), inRequest(), winston.format.timestamp(), winston.format.json())
  : winston.format.combine(winston.format.errors({ stack: true }), inRequest(), winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), winston.format.printf(readableLine));

export const logger: typeof Api.logger = winston.createLogger({ level: settings.level, format, transports: [new winston.transports.Console()] });

export const audit: typeof Api.audit = auditWith(format);

const COLOURS: Record<string, string> = { error: '31', warn: '33', info: '32', http: '36', verbose: '36', debug: '34', silly: '35' };
const OWN = new Set(['level', 'message', 'timestamp', 'stack']);

/** `12:00:00.123 INFO  message key=value key="two words"`, the level coloured, a stack on the lines below. */
function readableLine(info: winston.Logform.TransformableInfo): string {
  const level = info.level.toUpperCase().padEnd(5);
  const colour = COLOURS[info.level];
  let line = `${String(info.timestamp)} ${settings.colour && colour ? `\x1b[${colour}m${level}\x1b[39m` : level} ${String(info.message)}`;
  for (const [key, value] of Object.entries(info)) if (!OWN.has(key)) line += ` ${key}=${readableValue(value)}`;
  return typeof info.stack === 'string' ? `${line}\n${info.stack}` : line;
}

function readableValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}
