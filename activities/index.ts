import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createDiagnosticActivities } from './diagnostic.js';
import { createFeedbackActivities } from './feedback.js';
import { createDvcttActivities } from './dvctt.js';
import { createTthcActivities } from './tthc.js';
import { createSlaActivities } from './sla.js';
import { createCalendarCache } from '../db/queries/calendar.js';
import { createPaymentActivities } from './payment.js';
import { createReconciliationActivities } from './reconciliation.js';
import { createRefundActivities } from './refund.js';
import { createRecordActivities } from './record.js';
import { createRecomputeActivities } from './recompute.js';
import { createReplayActivities } from './replay.js';
import { createConsistencyActivities } from './consistency.js';
import { createEvaluationActivities } from './evaluation.js';
import { failFastOnRefusedData } from './errors.js';
import { heartbeatWhileRunning } from './heartbeat.js';
import { createNotificationActivities, loggingSender, type NotificationSender } from './notifications.js';
import { createAccountActivities, recordingIdentityProvider, type IdentityProvider } from './account.js';
import { createOperationsActivities } from './operations.js';
import { createRuleSetActivities } from './rule-sets.js';

export interface ActivityDeps {
  db: Database;
  logger: Logger;
  /** Delivers SMS / e-mail; defaults to recording and logging. */
  notificationSender?: NotificationSender;
  /** Temporal itself, for the activities that read it (copying closed runs to the permanent record). */
  temporal?: Client;
  /** The worker's payload codecs (the audit replay decodes encrypted histories with them). */
  dataConverter?: DataConverter;
  /** The Portal's identity system (account contacts and locks, Art 13.2); defaults to a recording fake. */
  identityProvider?: IdentityProvider;
}

/** Every side effect the workflows may ask for, with its dependencies injected; data PostgreSQL refuses fails fast; long ones heartbeat. */
export function createActivities(deps: ActivityDeps) {
  const calendars = createCalendarCache(deps.db);
  const notifications = createNotificationActivities(deps.db, deps.notificationSender ?? loggingSender(deps.logger));
  return heartbeatWhileRunning(failFastOnRefusedData({
    ...createDiagnosticActivities(deps.db),
    ...createFeedbackActivities(deps.db),
    ...createDvcttActivities(deps.db),
    ...createTthcActivities(deps.db),
    ...createSlaActivities(deps.db, calendars),
    ...createPaymentActivities(deps.db, calendars),
    ...createReconciliationActivities(deps.db, calendars),
    ...createRefundActivities(deps.db),
    ...createRecordActivities(deps.db, deps.temporal, deps.logger),
    ...createRecomputeActivities(deps.db, deps.temporal),
    ...createReplayActivities(deps.db, deps.temporal, deps.logger, deps.dataConverter),
    ...createConsistencyActivities(deps.db, deps.temporal, deps.logger),
    ...createEvaluationActivities(deps.db),
    ...notifications,
    ...createAccountActivities(deps.db, notifications.sendNotification, deps.identityProvider ?? recordingIdentityProvider(deps.logger)),
    ...createOperationsActivities(deps.db, notifications.sendNotification),
    ...createRuleSetActivities(deps.db),
  }));
}

export type Activities = ReturnType<typeof createActivities>;
