import { pino, type DestinationStream, type Logger } from 'pino';
import { privateLogOptions } from '../domain/privacy/logs.js';

/**
 * The one pino logger factory: API, worker and scripts log the same JSON shape, without personal
 * data or query values (`domain/privacy/logs.ts`). `destination`: stdout unless given (tests).
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'dvcqg', ...bindings }, ...privateLogOptions };
  return destination ? pino(options, destination) : pino(options);
}
