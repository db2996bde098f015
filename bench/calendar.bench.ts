/**
 * Deadline computations per second, per unit, on the seeded calendar (official 2025/2026
 * schedules): the fast path (`computeDue`: working-day index look-ups, no explanation) against the
 * target of issue 18, the explanation path (`computeDeadline`, what the activity records), a cold
 * calendar (new version: its first year built on first use), and the `computeDeadline` activity
 * (current version read from PostgreSQL on every call, calendars cached by version).
 */
import { availableParallelism, loadavg } from 'node:os';
import { createSlaActivities } from '../activities/sla.js';
import { createCalendarCache, loadCalendarVersion } from '../db/queries/calendar.js';
import { DEADLINE_UNITS, WorkingCalendar, type DeadlineInput, type DeadlineUnit } from '../domain/calendar/index.js';
import { benchDatabase, opsPerSecond, report } from './support.js';

const FAST_ITERATIONS = 2_000_000;
const EXPLAINED_ITERATIONS = 100_000;
/** Issue 18 item 4: due instants per second on the fast path. */
const TARGET = 1_000_000;
const AMOUNTS: Record<DeadlineUnit, number[]> = {
  workingDays: [2, 5, 10, 20],
  calendarDays: [7, 20, 30],
  workingHours: [8, 24, 48],
  hours: [24, 48],
  settlementDay: [1],
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Operations per second of wall-clock time, and per second of this process's CPU time (all its
 * threads, GC included): on the shared machine the first depends on what else runs, the second less.
 */
function rates(iterations: number, fn: (i: number) => void): { wall: number; cpu: number } {
  const cpuBefore = process.cpuUsage();
  const wall = opsPerSecond(iterations, fn);
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: iterations / ((cpu.user + cpu.system) / 1e6) };
}

async function main(): Promise<void> {
  const database = await benchDatabase('dvcqg_bench_calendar');
  try {
    const data = (await loadCalendarVersion(database.db))!;
    // Event instants spread over 2025-2027, so Tết, holidays and year ends are all crossed.
    const start = Date.parse('2025-01-01T00:00:00Z');
    const instants = Array.from({ length: 4096 }, (_, i) => new Date(start + ((i * 7_919_993_117) % (3 * 365 * 86_400_000))).toISOString());
    const inputs = (unit: DeadlineUnit) => {
      const amounts = AMOUNTS[unit];
      return (i: number): DeadlineInput => ({ from: instants[i % instants.length]!, amount: amounts[i % amounts.length]!, unit });
    };
    const label = (unit: DeadlineUnit) => `${unit} (amounts ${AMOUNTS[unit].join('/')}) ops/s`;
    // The machine is shared: the load average says how much of it the figures had.
    process.stdout.write(`\nload average (1 min) at start: ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores\n`);

    const warm = new WorkingCalendar(data);
    const fast: Record<string, string> = {};
    for (const unit of DEADLINE_UNITS) {
      const input = inputs(unit);
      const run = (i: number) => warm.computeDue(input(i));
      opsPerSecond(100_000, run);
      const { wall, cpu } = rates(FAST_ITERATIONS, run);
      fast[label(unit)] = `${fmt(wall)}   target ≥ ${fmt(TARGET)}: ${wall >= TARGET ? 'met' : 'NOT met'}   (per CPU-second ${fmt(cpu)})`;
    }
    report(`fast path (computeDue: due instant, no explanation), warm calendar, ${fmt(FAST_ITERATIONS)} per unit`, fast);

    const explained: Record<string, string> = {};
    for (const unit of DEADLINE_UNITS) {
      const input = inputs(unit);
      const run = (i: number) => warm.computeDeadline(input(i));
      opsPerSecond(10_000, run);
      const { wall, cpu } = rates(EXPLAINED_ITERATIONS, run);
      explained[label(unit)] = `${fmt(wall)}   (per CPU-second ${fmt(cpu)})`;
    }
    report(`explanation path (computeDeadline: due instant + explanation en/vi), ${fmt(EXPLAINED_ITERATIONS)} per unit`, explained);

    const cold = rates(200, (i) => new WorkingCalendar(data).computeDue({ from: instants[i]!, amount: 5, unit: 'workingDays' }));
    report('cold calendar (new version: constructor + its first year built + first computation)', {
      'workingDays ops/s': `${fmt(cold.wall)}   (per CPU-second ${fmt(cold.cpu)})`,
    });

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
