import { pino, type Logger } from 'pino';

/** The one pino logger factory: API, worker and scripts log the same JSON shape. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'dvcqg', ...bindings } });
}
