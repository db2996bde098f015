import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECORD_SWEEP_INTERVAL, RECORD_SWEEP_SCHEDULE_ID } from '../workflows/record.definitions.js';

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
