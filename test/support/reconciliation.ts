import type { Client } from '@temporalio/client';
import { expect, onTestFinished } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { reconciliationWorkflowId } from '../../workflows/reconciliation.definitions.js';
import { eventually } from './env.js';

/**
 * Test files that upload for and reconcile today take turns: a test calls this before its first
 * upload of the day and holds the lock until it ends (a PostgreSQL advisory lock in the run's
 * database, which every test file shares). Payments of a pair nobody uploaded for are only reported
 * awaiting upload, whoever runs the day: they may be made outside the lock.
 *
 * Why files cannot keep apart by agency or bank alone: a debit reported through the API is always
 * today's (Art 33.4a), a run reconciles every agency × bank of its day (workflow
 * `reconciliation-<day>`, one run at a time), and the discrepancy cases it opens run on the task
 * queue of the file that started it. Without turns, one file's run reconciles the other's uploads
 * half-way, opens the other's cases on a worker that stops when its own file ends, and refuses the
 * other's start while it runs; and a report read after a start can be an earlier run's.
 */
export async function holdReconciliationOfToday(database: DatabaseHandle): Promise<void> {
  const connection = await database.sql.reserve();
  try {
    await connection`select pg_advisory_lock(hashtext(${LOCK}))`;
  } catch (err) {
    connection.release();
    throw err;
  }
  onTestFinished(async () => {
    try {
      await connection`select pg_advisory_unlock(hashtext(${LOCK}))`;
    } finally {
      connection.release();
    }
  });
}
const LOCK = 'dvcqg-test:reconciliation-of-today';

/**
 * VPCP reconciles `day` (`start` posts /v1/reconciliation/runs: 202) and the run completes, so a
 * report read afterwards is this run's. Call it in a test holding `holdReconciliationOfToday`.
 */
export async function reconcileAndWait(temporal: Client, taskQueue: string, day: string, start: () => Promise<{ status: number }>): Promise<void> {
  const handle = () => temporal.workflow.getHandle(reconciliationWorkflowId(day));
  // A run left running by a test file that has ended (its worker gone) would never end and refuses
  // every new start of the day: terminated (test isolation, not product behaviour). A test holding
  // the lock waits for its own runs to end, so a running run of another task queue is such a leftover.
  const leftover = await handle().describe().catch(() => undefined);
  if (leftover?.status.name === 'RUNNING' && leftover.taskQueue !== taskQueue) {
    await handle().terminate('test isolation: a run left by a test file that has ended').catch(() => undefined);
  }
  expect((await start()).status).toBe(202);
  const ended = await eventually(() => handle().describe(), (d) => d.status.name !== 'RUNNING', 60_000);
  expect(ended).toMatchObject({ taskQueue, status: { name: 'COMPLETED' } });
}
