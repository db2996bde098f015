import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import { decideRefundUpdate, refundWorkflowId, type RefundInput } from '../../workflows/refund.definitions.js';
import { slaClocksQuery } from '../../workflows/sla.definitions.js';
import { eventually, testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle } from '../support/env.js';

/**
 * The race the chaos suite found: a bank's finding sent right after the payer's request reached
 * the case while it was still computing the investigate clock's deadline (an activity). The
 * finding completed nothing, then the clock started and stayed pending past the end of the case.
 * Here the deadline activity is held until the finding has been accepted, so the race happens
 * every time.
 */
describe('refund: a finding that races the start of the investigate clock (time-skipping, real activities and PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueId('tq');
  const bank = `R${uniqueId('').slice(1, 9)}`;
  const bankActor: ActorRef = { userId: 'ops', role: 'bank', bank };
  let reached: () => void = () => undefined;
  let release: () => void = () => undefined;
  const investigateDeadlineReached = new Promise<void>((resolve) => (reached = resolve));
  const investigateDeadlineReleased = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
    const activities = createActivities({ db: database.db, logger: testLogger() });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(),
      activities: {
        ...activities,
        async computeDeadline(input: Parameters<typeof activities.computeDeadline>[0]) {
          if (input.clock === 'investigate') {
            reached();
            await investigateDeadlineReleased;
          }
          return activities.computeDeadline(input);
        },
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    release();
    worker?.shutdown();
    await running;
    await env?.teardown();
    await database?.close();
  });

  it("Art 34.6b (period: project rule after Art 34.5): a bank's finding that arrives while the investigate clock is starting completes that clock (met), it is not left pending", async () => {
    const input: RefundInput = {
      origin: 'payerRequest', paymentId: uniqueId('pay'), bankTxnRef: 'T-race', amount: 30_000, reason: 'debited twice',
      agency: 'BTP', bank, actor: { userId: 'portal', role: 'portal' },
    };
    const handle = await env.client.workflow.start('refundWorkflow', { taskQueue, workflowId: refundWorkflowId(input), args: [input] });
    await investigateDeadlineReached;
    const finding = await handle.startUpdate(decideRefundUpdate, {
      args: [{ finding: 'unfounded', note: 'single debit, settled to KBNN', actor: bankActor }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    release();
    expect((await finding.result()).status).toBe('rejected');

    const clock = (await handle.query(slaClocksQuery)).find((c) => c.key === 'investigate');
    expect(clock).toMatchObject({ outcome: 'met', completedBy: bank });
    const row = await eventually(
      async () => (await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'investigate'))))[0],
      (r) => r?.outcome === 'met',
    );
    expect(row).toMatchObject({ owner: bank, completedBy: bank });
  });
});
