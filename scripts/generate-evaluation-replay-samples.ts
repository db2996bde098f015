/**
 * Generates the committed replay sample of the agency evaluation (Art 30):
 *   npx tsx scripts/generate-evaluation-replay-samples.ts [outDir]     (default test/replay/histories/)
 * On the harness of scripts/replay-samples.ts (its own database `dvcqg_evaluation_samples`, a dev
 * server, a real Worker). Case captured:
 *   evaluationWorkflow-publishedYear   VPCP evaluates 2025 over a few seeded clocks and publishes it:
 *                                      the run opened with config version 1, the counts, the stored results
 */
import { slaClocks } from '../db/schema/index.js';
import { evaluationSearchAttributes, type EvaluationRunInput, type EvaluationRunResult } from '../workflows/evaluation.definitions.js';
import { ensure, runSampleGenerator } from './replay-samples.js';

runSampleGenerator({
  name: 'evaluation',
  database: 'dvcqg_evaluation_samples',
  cases: async ({ client, taskQueue, db }) => {
    // BTP's feedback clocks of 2025: three met, one breached.
    await db.insert(slaClocks).values([0, 1, 2, 3].map((i) => ({
      workflowId: `sample-feedback-${i}`, clockKey: 'answer#1', revision: 1, process: 'feedback', caseAgency: 'BTP', owner: 'BTP', ownerKind: 'agency' as const,
      article: 'Art 44.1', rule: 'sample', stage: 'processing', unit: 'calendarDays' as const, amount: 20,
      startedAt: new Date(`2025-0${i + 3}-01T02:00:00Z`), dueAt: new Date(`2025-0${i + 3}-21T16:59:59Z`), calendarVersion: 1,
      outcome: i === 3 ? 'breached' as const : 'met' as const,
      breachedAt: i === 3 ? new Date(`2025-0${i + 3}-21T16:59:59Z`) : null,
      completedAt: i === 3 ? null : new Date(`2025-0${i + 3}-15T02:00:00Z`),
    })));
    const input: EvaluationRunInput = {
      period: { from: '2025-01-01', to: '2025-12-31' }, publish: true, trigger: 'vpcp', actor: { userId: 'sample-vpcp', role: 'vpcp', agency: 'VPCP' },
    };
    const handle = await client.workflow.start('evaluationWorkflow', { taskQueue, workflowId: 'evaluation-sample-published-year', args: [input], typedSearchAttributes: evaluationSearchAttributes() });
    const result: EvaluationRunResult = await handle.result();
    ensure(result.configVersion, 1, 'config version');
    ensure(result.publishedAt !== null, true, 'published');
    return [{ name: 'evaluationWorkflow-publishedYear', handle }];
  },
});
