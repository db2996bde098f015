import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createDiagnosticActivities } from './diagnostic.js';
import { createCalendarCache, createSlaActivities } from './sla.js';
import { createNotificationActivities, loggingSender, type NotificationSender } from './notifications.js';

export interface ActivityDeps {
  db: Database;
  logger: Logger;
  /** Delivers SMS / e-mail; defaults to recording and logging. */
  notificationSender?: NotificationSender;
}

/** Every side effect the workflows may ask for, with its dependencies injected. */
export function createActivities(deps: ActivityDeps) {
  const calendars = createCalendarCache(deps.db);
  return {
    ...createDiagnosticActivities(deps.db),
    ...createSlaActivities(deps.db, calendars),
    ...createNotificationActivities(deps.db, deps.notificationSender ?? loggingSender(deps.logger)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
