import { loadConfig } from './config/index.js';
import { temporalTls } from './config/temporal-tls.js';
import { createDatabase } from './db/client.js';
import { createLogger } from './runtime/logger.js';
import { Client } from '@temporalio/client';
import { dataConverterFor } from './codec/encryption.js';
import { ensureAccountInactivitySchedule, ensureConsistencyCheckSchedule, ensureEvaluationSchedule, ensureRecordSweepSchedule } from './runtime/schedules.js';
import { createWorker, installTemporalLogging } from './runtime/worker.js';
import { verifiedWorkflowBundle } from './runtime/workflow-bundle.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, { component: 'worker', taskQueue: config.TASK_QUEUE });
  installTemporalLogging(logger, config.TEMPORAL_METRICS_ADDRESS || undefined);
  const database = createDatabase(config.DATABASE_URL);
  const dataConverter = dataConverterFor(config);
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS,
    tls: temporalTls(config),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    deps: { db: database.db, logger },
    dataConverter,
    // A prebuilt bundle is loaded only if built from this tree's workflow code (else the worker does not start).
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: verifiedWorkflowBundle(config.WORKFLOW_BUNDLE_PATH) } : {}),
  });
  // The worker runs the permanent-record sweeps, so it makes sure their Schedule exists.
  ensureRecordSweepSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }), config.TASK_QUEUE).then(
    ({ created, scheduleId }) => logger.info({ created, scheduleId }, 'record sweep schedule ensured'),
    (err: unknown) => logger.error({ err, alert: 'record-sweep-schedule-missing' }, 'record sweep schedule not ensured'),
  );
  // Likewise the SLA consistency checks (one Schedule per namespace).
  ensureConsistencyCheckSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }), config.TASK_QUEUE).then(
    ({ created, scheduleId }) => logger.info({ created, scheduleId }, 'consistency check schedule ensured'),
    (err: unknown) => logger.error({ err, alert: 'consistency-schedule-missing' }, 'consistency check schedule not ensured'),
  );
  // And the yearly agency evaluation (Art 30.3).
  ensureEvaluationSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }), config.TASK_QUEUE).then(
    ({ created, scheduleId }) => logger.info({ created, scheduleId }, 'agency evaluation schedule ensured'),
    (err: unknown) => logger.error({ err, alert: 'evaluation-schedule-missing' }, 'agency evaluation schedule not ensured'),
  );
  // And the daily account inactivity sweep (Art 13.2).
  ensureAccountInactivitySchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter }), config.TASK_QUEUE).then(
    ({ created, scheduleId }) => logger.info({ created, scheduleId }, 'account inactivity schedule ensured'),
    (err: unknown) => logger.error({ err, alert: 'account-inactivity-schedule-missing' }, 'account inactivity schedule not ensured'),
  );
  // Worker.run installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
  logger.info({ address: config.TEMPORAL_ADDRESS, payloadEncryption: (dataConverter.payloadCodecs ?? []).length > 0 }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await database.close();
    logger.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
