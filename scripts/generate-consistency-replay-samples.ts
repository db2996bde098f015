/**
 * Generates the committed replay sample of the SLA consistency checker:
 *   npx tsx scripts/generate-consistency-replay-samples.ts [outDir]     (default test/replay/histories/)
 * On the harness of scripts/replay-samples.ts (its own database `dvcqg_consistency_samples`, a dev
 * server, a real Worker). Case captured:
 *   consistencyCheckWorkflow-pendingAfterClose   a payment registered, then terminated with its payer clock
 *                                               pending; one check finds the clock and cancels it
 */
import { eq } from 'drizzle-orm';
import { slaClocks } from '../db/schema/index.js';
import { paymentWorkflowId, type PaymentRequest } from '../workflows/payment.definitions.js';
import type { ConsistencyCheckResult } from '../workflows/consistency.definitions.js';
import { btp, ensure, runSampleGenerator } from './replay-samples.js';

runSampleGenerator({
  name: 'consistency',
  database: 'dvcqg_consistency_samples',
  cases: async ({ client, taskQueue, db }) => {
    const request: PaymentRequest = {
      agency: 'BTP', requestRef: 'sample-consistency-1', dossierCode: 'H01.23-000002', feeTypeCode: 'LEPHI-HT', amount: 150_000,
      beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, actor: btp,
    };
    const workflowId = paymentWorkflowId('BTP', request.requestRef);
    const payment = await client.workflow.start('paymentWorkflow', { taskQueue, workflowId, args: [request] });
    // Its first clock is projected, then the case is terminated behind the projection's back.
    while ((await db.select({ key: slaClocks.clockKey }).from(slaClocks).where(eq(slaClocks.workflowId, workflowId))).length === 0) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await payment.terminate('sample: operator error');
    // Visibility lists the termination shortly after it: check until the pending clock is found.
    for (let attempt = 0; ; attempt++) {
      const check = await client.workflow.start('consistencyCheckWorkflow', { taskQueue, workflowId: `consistency-sample-${attempt}`, args: [{ scope: workflowId }] });
      const result: ConsistencyCheckResult = await check.result();
      if (result.byCause['pending-after-close'] === 1) {
        ensure(result.disagreements, 1, 'disagreements');
        return [{ name: 'consistencyCheckWorkflow-pendingAfterClose', handle: check }];
      }
      if (attempt > 20) throw new Error('the terminated payment never became visible to the checker');
      await new Promise((r) => setTimeout(r, 500));
    }
  },
});
