/**
 * What pinning a rule set costs a case start: the API resolves the set in force (one read of the
 * few `rule_sets` rows) and the start input grows by the process's periods. Printed beside the
 * start path's own budget (SPEC §6: pages within 3 s; a start is one Temporal call).
 *   npx tsx bench/rule-sets.bench.ts
 */
import { ruleSetForNewCase } from '../db/queries/rule-sets.js';
import { PERIOD_IDS } from '../domain/rules/index.js';
import { benchDatabase, percentile, report } from './support.js';

const ITERATIONS = 2_000;
const PROCESSES = [...new Set(PERIOD_IDS.map((id) => id.slice(0, id.indexOf('.'))))];

async function main(): Promise<void> {
  const database = await benchDatabase('dvcqg_bench_rule_sets');
  try {
    for (let i = 0; i < 50; i++) await ruleSetForNewCase(database.db, 'feedback'); // warm the pool and the plan
    const times: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const start = performance.now();
      await ruleSetForNewCase(database.db, PROCESSES[i % PROCESSES.length] as string);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const sizes = await Promise.all(PROCESSES.map(async (p) => [p, JSON.stringify(await ruleSetForNewCase(database.db, p)).length] as const));
    report(`rule set resolved per case start (${ITERATIONS} resolutions, ${PROCESSES.length} processes)`, {
      'p50 (ms)': percentile(times, 50),
      'p99 (ms)': percentile(times, 99),
      'max (ms)': times[times.length - 1] as number,
      ...Object.fromEntries(sizes.map(([p, n]) => [`start input grows by (${p}, bytes)`, n])),
      'target': 'well under the 3 s page budget (SPEC §6); no cache needed',
    });
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
