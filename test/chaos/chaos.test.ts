import { describe, expect, it } from 'vitest';
import { formatReport, runChaos } from '../../scripts/chaos/suite.js';

/**
 * The chaos suite at CI size (README "Chaos suite"): its own PostgreSQL, Temporal dev server,
 * worker and API processes — not the run's shared ones — SIGKILLed and restarted while cases of
 * every process are driven through HTTP. `npm run chaos` runs the same suite at any size.
 */
describe('chaos: the worker (twice), the Temporal server, the API and PostgreSQL SIGKILLed while cases of every process are driven through HTTP', () => {
  it('no acknowledged action is lost, no side effect duplicated, no client stuck, and every case in flight moves again within 10 s of its part being up (Temporal server: its 10 s workflow task timeout + 5 s)', async () => {
    const report = await runChaos({ cases: 12, concurrency: 12, rounds: 1, thinkMs: 800, caseDeadlineMs: 120_000, pauseMs: [1000, 3000], log: () => undefined });
    process.stdout.write(formatReport(report));

    expect(report.kills.map((k) => k.part).sort()).toEqual(['api', 'postgres', 'temporal', 'worker', 'worker']);
    expect(report.kills.every((k) => k.inFlight > 0)).toBe(true);
    expect(new Set(Object.keys(report.byKind))).toEqual(new Set(['payment', 'feedback', 'dvctt', 'tthc', 'reconciliation']));
    expect(report.lost).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(report.stuck).toEqual([]);
    expect(report.done).toBe(12);
    // Within 10 s of the worker, the API or PostgreSQL being up again. A Temporal server restart can
    // lose the start of a workflow task (started in history, never delivered; the dev server logs
    // "Unable to add WorkflowTask directly to matching … context deadline exceeded", cf.
    // temporalio/temporal#11733): that case moves when the workflow task timeout (10 s) redelivers it.
    for (const kill of report.kills) {
      expect(kill.recoveryMs, `${kill.part}: ${kill.slowest} ${kill.slowestTrace?.join('; ')}`).toBeLessThanOrEqual(kill.part === 'temporal' ? 10_000 + 5_000 : 10_000);
    }
  }, 300_000);
});
