/**
 * Generates the committed replay sample of the permanent-record sweeper:
 *   npx tsx scripts/generate-record-replay-samples.ts [outDir]     (default test/replay/histories/)
 * On the harness of scripts/replay-samples.ts (its own database `dvcqg_record_samples`, a dev server,
 * a real Worker). Case captured:
 *   recordSweepWorkflow-copiedOneClosedCase   a payment registered and cancelled by its agency, then one
 *                                            sweep copying its closed run into the permanent record
 *   recomputeClocksWorkflow-nothingStale      VPCP's recompute job on the current calendar version: no case
 *                                            has clocks from an older version, so none is asked
 *   auditReplayWorkflow-paymentReplayed       an auditor's replay of the closed payment, run in the worker
 */
import { cancelPaymentUpdate, paymentWorkflowId, type PaymentRequest } from '../workflows/payment.definitions.js';
import { auditReplayWorkflowId } from '../workflows/audit.definitions.js';
import { recomputeJobWorkflowId } from '../workflows/recompute.definitions.js';
import { btp, ensure, runSampleGenerator } from './replay-samples.js';

const vpcp = { userId: 'sample-vpcp', role: 'vpcp' as const, agency: 'VPCP' };

runSampleGenerator({
  name: 'record',
  database: 'dvcqg_record_samples',
  cases: async ({ client, taskQueue }) => {
    const request: PaymentRequest = {
      agency: 'BTP', requestRef: 'sample-record-1', dossierCode: 'H01.23-000001', feeTypeCode: 'LEPHI-HT', amount: 150_000,
      beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, actor: btp,
    };
    const payment = await client.workflow.start('paymentWorkflow', { taskQueue, workflowId: paymentWorkflowId('BTP', request.requestRef), args: [request] });
    await payment.executeUpdate(cancelPaymentUpdate, { args: [{ reason: 'sample', actor: btp }] });
    await payment.result();
    // Visibility lists the closed case shortly after it closed: sweep until it is copied.
    for (let attempt = 0; ; attempt++) {
      const sweep = await client.workflow.start('recordSweepWorkflow', { taskQueue, workflowId: `record-sweep-sample-${attempt}`, args: [] });
      const result = await sweep.result();
      if (result.copied === 1) {
        ensure(result.failed, 0, 'failed copies');
        const recompute = await client.workflow.start('recomputeClocksWorkflow', {
          taskQueue, workflowId: recomputeJobWorkflowId('sample'), args: [{ actor: vpcp, reason: 'sample: nothing to move', calendarVersion: 1 }],
        });
        ensure((await recompute.result()).total, 0, 'cases recomputed');
        const replay = await client.workflow.start('auditReplayWorkflow', { taskQueue, workflowId: auditReplayWorkflowId('sample'), args: [{ workflowId: payment.workflowId }] });
        ensure((await replay.result()).ok, true, 'the payment replays');
        return [
          { name: 'auditReplayWorkflow-paymentReplayed', handle: replay },
          { name: 'recordSweepWorkflow-copiedOneClosedCase', handle: sweep },
          { name: 'recomputeClocksWorkflow-nothingStale', handle: recompute },
        ];
      }
      if (attempt > 20) throw new Error('the closed payment never became visible to the sweeper');
      await new Promise((r) => setTimeout(r, 500));
    }
  },
});
