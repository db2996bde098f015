/**
 * Deadline computations per second, per unit, on the seeded calendar (official 2025/2026
 * schedules): the pure engine with warm year tables, a cold calendar (new version: year tables
 * built on first use), and the `computeDeadline` activity path (current version read from
 * PostgreSQL on every call, calendars cached by version).
 */
import { createSlaActivities } from '../activities/sla.js';
import { createCalendarCache } from '../db/queries/calendar.js';
import { DEADLINE_UNITS, WorkingCalendar, type DeadlineUnit } from '../domain/calendar/index.js';
import { loadCalendarVersion } from '../db/queries/calendar.js';
import { benchDatabase, opsPerSecond, report } from './support.js';

const ITERATIONS = 200_000;
const AMOUNTS: Record<DeadlineUnit, number[]> = {
  workingDays: [2, 5, 10, 20],
  calendarDays: [7, 20, 30],
  workingHours: [8, 24, 48],
  settlementDay: [1],
};

async function main(): Promise<void> {
  const database = await benchDatabase('dvcqg_bench_calendar');
  try {
    const data = (await loadCalendarVersion(database.db))!;
    // Event instants spread over 2025-2027, so Tết, holidays and year ends are all crossed.
    const start = Date.parse('2025-01-01T00:00:00Z');
    const instants = Array.from({ length: 4096 }, (_, i) => new Date(start + ((i * 7_919_993_117) % (3 * 365 * 86_400_000))).toISOString());

    const warm = new WorkingCalendar(data);
    const pure: Record<string, number> = {};
    for (const unit of DEADLINE_UNITS) {
      const amounts = AMOUNTS[unit];
      const run = (i: number) => warm.computeDeadline({ from: instants[i % instants.length]!, amount: amounts[i % amounts.length]!, unit });
      opsPerSecond(10_000, run);
      pure[`${unit} (amounts ${amounts.join('/')}) ops/s`] = Math.round(opsPerSecond(ITERATIONS, run));
    }
    report(`pure engine, warm calendar, ${ITERATIONS.toLocaleString('en-US')} computations per unit`, pure);

    const cold = opsPerSecond(200, (i) => new WorkingCalendar(data).computeDeadline({ from: instants[i]!, amount: 5, unit: 'workingDays' }));
    report('cold calendar (new version: constructor + first computation)', { 'workingDays ops/s': Math.round(cold) });

    const { computeDeadline } = createSlaActivities(database.db, createCalendarCache(database.db));
    const n = 2_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await computeDeadline({ from: instants[i % instants.length]!, amount: 5, unit: 'workingDays', clock: 'bench', article: 'Art 27.4', owner: 'BTP' });
    }
    report('computeDeadline activity (reads the current version from PostgreSQL each call), sequential', {
      'workingDays ops/s': Math.round(n / ((performance.now() - started) / 1000)),
    });
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
