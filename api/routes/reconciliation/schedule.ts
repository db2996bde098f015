import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILIATION_CRON, RECONCILIATION_SCHEDULE_ID, RECONCILIATION_TIME_ZONE } from '../../../workflows/reconciliation.definitions.js';

/**
 * Creates the daily reconciliation Schedule if it does not exist (idempotent): every day at 06:00
 * Viet Nam time it starts `dailyReconciliationWorkflow`, which skips rest days and catches up.
 */
export async function ensureReconciliationSchedule(client: Client, taskQueue: string): Promise<{ created: boolean; scheduleId: string }> {
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      spec: { cronExpressions: [RECONCILIATION_CRON], timezone: RECONCILIATION_TIME_ZONE },
      action: { type: 'startWorkflow', workflowType: 'dailyReconciliationWorkflow', args: [{}], taskQueue, workflowId: `${RECONCILIATION_SCHEDULE_ID}-run` },
      // A run still catching up when the next one is due: skip the new one (it would find nothing to do).
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { description: 'Art 34.2: daily three-way reconciliation of online payments' },
    });
    return { created: true, scheduleId: RECONCILIATION_SCHEDULE_ID };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return { created: false, scheduleId: RECONCILIATION_SCHEDULE_ID };
    throw err;
  }
}
