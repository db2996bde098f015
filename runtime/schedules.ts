import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECORD_SWEEP_INTERVAL, RECORD_SWEEP_SCHEDULE_ID } from '../workflows/record.definitions.js';
import { CONSISTENCY_INTERVAL, CONSISTENCY_SCHEDULE_ID } from '../workflows/consistency.definitions.js';
import { ACCOUNT_INACTIVITY_INTERVAL, ACCOUNT_INACTIVITY_SCHEDULE_ID } from '../workflows/account.definitions.js';
import { EVALUATION_SCHEDULE_ID, EVALUATION_SCHEDULE_SPEC, evaluationSearchAttributes, type EvaluationRunInput } from '../workflows/evaluation.definitions.js';

/**
 * An interval Schedule the worker owns (idempotent): it starts `workflowType` every `every`; a run
 * still going when the next is due makes the next skip (SKIP), since each run continues from a watermark.
 */
async function ensureIntervalSchedule(client: Client, s: {
  scheduleId: string; every: string; workflowType: string; args: unknown[]; taskQueue: string; catchupWindow: string; description: string;
}): Promise<{ created: boolean; scheduleId: string }> {
  try {
    await client.schedule.create({
      scheduleId: s.scheduleId,
      spec: { intervals: [{ every: s.every }] },
      action: { type: 'startWorkflow', workflowType: s.workflowType, args: s.args, taskQueue: s.taskQueue, workflowId: `${s.scheduleId}-run` },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow },
      memo: { description: s.description },
    });
    return { created: true, scheduleId: s.scheduleId };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { created: false, scheduleId: s.scheduleId };
    throw err;
  }
}

/** The permanent-record sweeper: every minute `recordSweepWorkflow` copies the task queue's closed runs not yet stored. */
export const ensureRecordSweepSchedule = (client: Client, taskQueue: string) =>
  ensureIntervalSchedule(client, {
    scheduleId: `${RECORD_SWEEP_SCHEDULE_ID}-${taskQueue}`, every: RECORD_SWEEP_INTERVAL, workflowType: 'recordSweepWorkflow', args: [], taskQueue,
    catchupWindow: '5 minutes', description: 'Permanent record: copy closed runs of this task queue into PostgreSQL',
  });

/**
 * The SLA consistency checker (one per namespace; whichever worker creates it runs it): every
 * CONSISTENCY_INTERVAL `consistencyCheckWorkflow` compares Temporal with `sla_clocks`.
 */
export const ensureConsistencyCheckSchedule = (client: Client, taskQueue: string) =>
  ensureIntervalSchedule(client, {
    scheduleId: CONSISTENCY_SCHEDULE_ID, every: CONSISTENCY_INTERVAL, workflowType: 'consistencyCheckWorkflow', args: [{}], taskQueue,
    catchupWindow: '10 minutes', description: 'SLA consistency: Temporal visibility and the workflows against sla_clocks, repaired and recorded',
  });

/**
 * The yearly agency evaluation (Art 30.3), one per namespace: every 15 January, 02:00 UTC+7,
 * `evaluationWorkflow` scores the previous calendar year and publishes it. Missed by up to a week
 * (a worker down over the date), it still runs.
 */
export async function ensureEvaluationSchedule(client: Client, taskQueue: string): Promise<{ created: boolean; scheduleId: string }> {
  const input: EvaluationRunInput = { trigger: 'schedule', publish: true };
  const { timezone, ...at } = EVALUATION_SCHEDULE_SPEC;
  try {
    await client.schedule.create({
      scheduleId: EVALUATION_SCHEDULE_ID,
      spec: { calendars: [{ ...at, minute: 0 }], timezone },
      action: { type: 'startWorkflow', workflowType: 'evaluationWorkflow', args: [input], taskQueue, workflowId: `${EVALUATION_SCHEDULE_ID}-run`, typedSearchAttributes: evaluationSearchAttributes() },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
      memo: { description: 'Agency evaluation (Art 30): the previous year scored, classified and published' },
    });
    return { created: true, scheduleId: EVALUATION_SCHEDULE_ID };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { created: false, scheduleId: EVALUATION_SCHEDULE_ID };
    throw err;
  }
}

/**
 * The account inactivity sweep (Art 13.2; one per namespace): once a day `accountInactivityWorkflow`
 * sends the lock notices and locks that are due. A missed day is caught up within a day.
 */
export const ensureAccountInactivitySchedule = (client: Client, taskQueue: string) =>
  ensureIntervalSchedule(client, {
    scheduleId: ACCOUNT_INACTIVITY_SCHEDULE_ID, every: ACCOUNT_INACTIVITY_INTERVAL, workflowType: 'accountInactivityWorkflow', args: [{}], taskQueue,
    catchupWindow: '1 day', description: 'Account inactivity (Art 13.2): lock notices and locks that are due',
  });
