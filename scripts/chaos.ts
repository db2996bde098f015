/**
 * `npm run chaos`: the chaos suite on its own stack (README "Chaos suite"). Sizes from the
 * environment: CHAOS_CASES (default 40), CHAOS_CONCURRENCY, CHAOS_ROUNDS (kill rounds),
 * CHAOS_THINK_MS, CHAOS_CASE_DEADLINE_S, CHAOS_PLAN (the kills in order, e.g. `postgres,worker`);
 * CHAOS_KEEP=1 keeps the run's directory (logs, data).
 * Exits non-zero when an acknowledged action was lost, a side effect duplicated or a client stuck.
 */
import { chaosOptionsFromEnv, formatReport, runChaos } from './chaos/suite.js';

async function main(): Promise<void> {
  const report = await runChaos(chaosOptionsFromEnv());
  process.stdout.write(formatReport(report));
  if (process.env.CHAOS_REPORT_JSON) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.CHAOS_REPORT_JSON, JSON.stringify(report, null, 2));
  }
  process.exit(report.lost.length + report.duplicates.length + report.stuck.length > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
