import { z } from 'zod';
import { DEADLINE_UNITS } from '../domain/calendar/index.js';

/**
 * Response schemas shared by every process route: one SLA clock shape (the workflow's
 * `SlaClock`, as its `slaClocks` query returns it) so that every case shows its deadlines alike.
 */
export const slaClockSchema = z
  .object({
    key: z.string(),
    article: z.string(),
    step: z.string(),
    stepVi: z.string(),
    owner: z.string(),
    ownerKind: z.enum(['agency', 'vpcp', 'bank', 'citizen']),
    stage: z.string(),
    amount: z.number().int(),
    unit: z.enum(DEADLINE_UNITS as [string, ...string[]]),
    startedAt: z.string(),
    dueAt: z.string(),
    dueLocal: z.string(),
    calendarVersion: z.number().int(),
    rule: z.string(),
    explanation: z.string(),
    explanationVi: z.string(),
    outcome: z.enum(['pending', 'met', 'breached', 'cancelled']),
    breachedAt: z.string().optional(),
    completedAt: z.string().optional(),
    completedBy: z.string().optional(),
    lateByMinutes: z.number().int().optional(),
    cancelReason: z.string().optional(),
    recomputations: z.array(z.object({ at: z.string(), by: z.string(), reason: z.string(), previousDueAt: z.string(), previousCalendarVersion: z.number().int() })),
    revision: z.number().int(),
  })
  .meta({ id: 'SlaClock' });

/** Paging of every list route: `?page` (from 1) and `?pageSize` (1–500). */
export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
};

/** The SQL window of a page. */
export const pageWindow = ({ page, pageSize }: { page: number; pageSize: number }) => ({ limit: pageSize, offset: (page - 1) * pageSize });

/** A page of a list: its items, how many match in all, and which page this is. */
export const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
