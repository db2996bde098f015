import type { Executor } from '../../../db/client.js';
import type { CalendarCache } from '../../../db/queries/calendar.js';
import { listDueBefore, type DueFilter, type Scope } from '../../../db/queries/sla.js';
import type { Actor } from '../../auth.js';

/** Agencies see the clocks of their own cases and the clocks they own; banks the clocks they own; VPCP and auditors see all. */
export const clockScopeOf = (actor: Actor): Scope =>
  actor.role === 'agency' ? { agency: actor.agency } : actor.role === 'bank' ? { bank: actor.bank } : {};

/** "Due soon" when the caller does not say how soon: within 5 working days (project rule). */
export const DUE_SOON_WORKING_DAYS = 5;

/**
 * Open clocks due by the end of the N-th working day from now, on the current calendar version:
 * the one reading of "due soon" behind the supervision API and the audit supervisor page.
 */
export async function dueSoon<W extends boolean = true>(db: Executor, calendars: CalendarCache, scope: Scope, f: Omit<DueFilter, 'until'> & { withinWorkingDays: number; withTotal?: W }) {
  const { withinWorkingDays, ...filter } = f;
  const calendar = await calendars.get();
  const horizon = calendar.computeDeadline({ from: new Date().toISOString(), amount: withinWorkingDays, unit: 'workingDays' });
  const until = new Date(horizon.dueAt);
  return { until, calendarVersion: calendar.version, ...(await listDueBefore<W>(db, scope, { ...filter, until })) };
}
