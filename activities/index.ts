import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createDiagnosticActivities } from './diagnostic.js';

export interface ActivityDeps {
  db: Database;
  logger: Logger;
}

/** Every side effect the workflows may ask for, with its dependencies injected. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDiagnosticActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
