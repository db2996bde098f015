import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECORD_SWEEP_INTERVAL, RECORD_SWEEP_SCHEDULE_ID } from '../workflows/record.definitions.js';
import { CONSISTENCY_INTERVAL, CONSISTENCY_SCHEDULE_ID } from '../workflows/consistency.definitions.js';

/**
 * The permanent-record sweeper's Schedule (idempotent): every minute, `recordSweepWorkflow` copies
 * the task queue's closed runs not yet stored. Created by the worker, which runs the sweeps.
 */
export async function ensureRecordSweepSchedule(client: Client, taskQueue: string): Promise<{ created: boolean; scheduleId: string }> {
  const scheduleId = `${RECORD_SWEEP_SCHEDULE_ID}-${taskQueue}`;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: RECORD_SWEEP_INTERVAL }] },
      action: { type: 'startWorkflow', workflowType: 'recordSweepWorkflow', args: [], taskQueue, workflowId: `${scheduleId}-run` },
      // A sweep still copying when the next is due: skip the next (it would list the same runs).
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
      memo: { description: 'Permanent record: copy closed runs of this task queue into PostgreSQL' },
    });
    return { created: true, scheduleId };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { created: false, scheduleId };
    throw err;
  }
}

/**
 * The SLA consistency checker's Schedule (idempotent; one per namespace, whichever worker creates it
 * runs it): every CONSISTENCY_INTERVAL, `consistencyCheckWorkflow` compares Temporal with `sla_clocks`.
 */
export async function ensureConsistencyCheckSchedule(client: Client, taskQueue: string): Promise<{ created: boolean; scheduleId: string }> {
  const scheduleId = CONSISTENCY_SCHEDULE_ID;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: CONSISTENCY_INTERVAL }] },
      action: { type: 'startWorkflow', workflowType: 'consistencyCheckWorkflow', args: [{}], taskQueue, workflowId: `${scheduleId}-run` },
      // A run still comparing when the next is due: skip the next (it continues from the watermark anyway).
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      memo: { description: 'SLA consistency: Temporal visibility and the workflows against sla_clocks, repaired and recorded' },
    });
    return { created: true, scheduleId };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { created: false, scheduleId };
    throw err;
  }
}
