import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DEADLINE_UNITS,
  MAX_LIST_DAYS,
  MAX_YEAR,
  MIN_YEAR,
  statutoryHolidays,
  WorkingCalendar,
  type CalendarData,
} from '../../../domain/calendar/index.js';
import {
  createCalendarVersion,
  listCalendarVersions,
  loadCalendarVersion,
  type CalendarChange,
  type CalendarVersionRow,
} from '../../../db/queries/calendar.js';
import { problem, problemSchema } from '../../errors.js';
import { instant, MAX_INT4, queryInt, realDate, safeText } from '../../schemas.js';
import { actorOf, ROLES } from '../../auth.js';

const versionParam = queryInt(1, MAX_INT4);
const reason = safeText(500, 3);
const yearParam = queryInt(MIN_YEAR, MAX_YEAR);

const dayReasonSchema = z.object({ code: z.string(), en: z.string(), vi: z.string(), source: z.string() });
const daySchema = z.object({ date: z.string(), weekday: z.number().int(), working: z.boolean(), reasons: z.array(dayReasonSchema) }).meta({ id: 'CalendarDay' });
const overrideSchema = z
  .object({
    date: realDate,
    kind: z.enum(['dayOff', 'workingDay']),
    name: safeText(200),
    nameVi: safeText(200),
    /** The official decision or notice it comes from. */
    source: safeText(500, 3),
  })
  .meta({ id: 'CalendarOverride' });
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:mm');
const workingHoursSchema = z.object({ start: hhmm, end: hhmm });
const versionSummarySchema = z
  .object({ version: z.number().int(), change: z.string(), createdBy: z.string(), createdAt: z.string() })
  .meta({ id: 'CalendarVersionSummary' });
const versionSchema = versionSummarySchema
  .extend({ overrides: z.array(overrideSchema), officialYears: z.array(z.number().int()), workingHours: z.array(workingHoursSchema) })
  .meta({ id: 'CalendarVersion' });
const deadlineSchema = z
  .object({
    from: z.string(),
    unit: z.enum(DEADLINE_UNITS),
    amount: z.number().int(),
    startDate: z.string(),
    dueAt: z.string(),
    dueLocal: z.string(),
    calendarVersion: z.number().int(),
    rule: z.string(),
    explanation: z.object({
      summary: z.string(),
      summaryVi: z.string(),
      skipped: z.array(z.object({ date: z.string(), reasons: z.array(dayReasonSchema) })),
      countedDays: z.array(z.string()),
    }),
  })
  .meta({ id: 'Deadline' });

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

const summaryOf = (row: CalendarVersionRow) => ({ version: row.version, change: row.change, createdBy: row.createdBy, createdAt: row.createdAt.toISOString() });

/** Runs a calendar computation; the domain's RangeError (range too long, past 2100, bad data) is a 400. */
function calendarInput<T>(path: string, compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    if (err instanceof RangeError) throw problem('validation', err.message, [{ path, message: err.message }]);
    throw err;
  }
}

/** A change is stored only if the resulting calendar is valid (dates, working-hours windows). */
function validated(change: CalendarChange): CalendarChange {
  return (current) => {
    const next = change(current);
    calendarInput('body', () => new WorkingCalendar({ version: 0, ...next } satisfies CalendarData));
    return next;
  };
}

/**
 * The Vietnamese working-time calendar (SPEC §2): working/rest days, deadlines with their
 * explanation, statutory holidays, and the versioned official data. Any authenticated role reads;
 * only VPCP changes it, and every change is a new version naming who, what and why.
 */
export const calendarRoutes: FastifyPluginAsyncZod = async (app) => {
  const calendars = app.calendars;
  /** The given or current version's calendar; built once per version (versions are immutable). */
  const calendarAt = async (version?: number) => {
    const row = await loadCalendarVersion(app.db, version);
    if (!row) throw problem('not-found', version === undefined ? 'No calendar version exists' : `No calendar version ${version}`);
    return calendars.get(row.version);
  };
  const readers = { access: { roles: ROLES } };
  const writers = { access: { roles: ['vpcp'] as const }, permission: 'calendar.manage' as const };

  app.get('/days', {
    config: readers,
    schema: {
      tags: ['calendar'],
      summary: `Working and rest days of a date range (at most ${MAX_LIST_DAYS} days), with the reasons`,
      querystring: z.object({ from: realDate, to: realDate, version: versionParam.optional() }),
      response: { 200: z.object({ calendarVersion: z.number().int(), from: z.string(), to: z.string(), workingDays: z.number().int(), days: z.array(daySchema) }), ...errors },
    },
  }, async (request) => {
    const { from, to, version } = request.query;
    if (to < from) throw problem('validation', 'to must not be before from', [{ path: 'querystring.to', message: 'must not be before from' }]);
    const calendar = await calendarAt(version);
    const days = calendarInput('querystring', () => calendar.listDays(from, to));
    return { calendarVersion: calendar.version, from, to, workingDays: days.filter((d) => d.working).length, days };
  });

  app.get('/deadline', {
    config: readers,
    schema: {
      tags: ['calendar'],
      summary: 'Compute a deadline (Civil Code 2015 Art 144-148) with its rule and explanation (en + vi)',
      querystring: z.object({
        from: instant,
        amount: queryInt(1, 10_000),
        unit: z.enum(DEADLINE_UNITS),
        version: versionParam.optional(),
      }),
      response: { 200: deadlineSchema, ...errors },
    },
  }, async (request) => {
    const { from, amount, unit, version } = request.query;
    const calendar = await calendarAt(version);
    return calendarInput('querystring', () => calendar.computeDeadline({ from, amount, unit }));
  });

  app.get('/versions', {
    config: readers,
    schema: {
      tags: ['calendar'],
      summary: 'Every calendar version, newest first',
      response: { 200: z.object({ items: z.array(versionSummarySchema) }), ...errors },
    },
  }, async () => ({ items: (await listCalendarVersions(app.db)).map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) }));

  app.get('/versions/:version', {
    config: readers,
    schema: {
      tags: ['calendar'],
      summary: 'The complete data of one calendar version (current or past)',
      params: z.object({ version: versionParam }),
      response: { 200: versionSchema, ...errors },
    },
  }, async (request) => {
    const row = await loadCalendarVersion(app.db, request.params.version);
    if (!row) throw problem('not-found', `No calendar version ${request.params.version}`);
    return { ...summaryOf(row), overrides: row.overrides, officialYears: row.officialYears, workingHours: row.workingHours };
  });

  app.get('/holidays/:year', {
    config: readers,
    schema: {
      tags: ['calendar'],
      summary: 'Statutory public holidays of a year (Labour Code 2019 Art 112, lunar dates computed) and its official schedule in the current version',
      params: z.object({ year: yearParam }),
      response: {
        200: z.object({
          year: z.number().int(),
          holidays: z.array(z.object({ date: z.string(), code: z.string(), en: z.string(), vi: z.string(), source: z.string() })),
          calendarVersion: z.number().int(),
          /** Whether the Government's schedule for the year replaces the statutory defaults (Tết span, 2 Sep adjacent day). */
          official: z.boolean(),
          overrides: z.array(overrideSchema),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const { year } = request.params;
    const current = await loadCalendarVersion(app.db);
    if (!current) throw problem('not-found', 'No calendar version exists');
    return {
      year,
      holidays: statutoryHolidays(year),
      calendarVersion: current.version,
      official: current.officialYears.includes(year),
      overrides: current.overrides.filter((o) => o.date.startsWith(`${year}-`)),
    };
  });

  app.put('/years/:year', {
    config: writers,
    schema: {
      tags: ['calendar'],
      summary: "Replace a year's official schedule (days off, make-up days); the year's statutory defaults no longer apply",
      params: z.object({ year: yearParam }),
      body: z.object({
        entries: z.array(overrideSchema).min(1).max(366).superRefine((entries, ctx) => {
          const seen = new Set<string>();
          entries.forEach((e, i) => {
            if (seen.has(e.date)) ctx.addIssue({ code: 'custom', path: [i, 'date'], message: `duplicate date ${e.date}` });
            seen.add(e.date);
          });
        }),
        reason: reason,
      }),
      response: { 200: versionSummarySchema, ...errors },
    },
  }, async (request) => {
    const { year } = request.params;
    const { entries } = request.body;
    const outside = entries.flatMap((e, i) => (e.date.startsWith(`${year}-`) ? [] : [{ path: `body.entries.${i}.date`, message: `${e.date} is not in ${year}` }]));
    if (outside.length > 0) throw problem('validation', `Every entry must be a date of ${year}`, outside);
    const row = await createCalendarVersion(
      app.db,
      validated((current) => ({
        ...current,
        overrides: [...current.overrides.filter((o) => !o.date.startsWith(`${year}-`)), ...entries],
        officialYears: [...current.officialYears, year],
      })),
      `official schedule ${year} replaced (${entries.length} entries): ${request.body.reason}`,
      actorOf(request).userId,
    );
    return summaryOf(row);
  });

  app.post('/overrides', {
    config: writers,
    schema: {
      tags: ['calendar'],
      summary: 'Add one ad-hoc official day off or make-up working day, with its source decision',
      body: overrideSchema,
      response: { 201: versionSummarySchema, ...errors, 409: problemSchema },
    },
  }, async (request, reply) => {
    const entry = request.body;
    const row = await createCalendarVersion(
      app.db,
      validated((current) => {
        if (current.overrides.some((o) => o.date === entry.date)) {
          throw problem('already-exists', `${entry.date} already has an override; delete it first`);
        }
        return { ...current, overrides: [...current.overrides, entry] };
      }),
      `override ${entry.date} ${entry.kind} added: ${entry.name} (${entry.source})`,
      actorOf(request).userId,
    );
    return reply.status(201).send(summaryOf(row));
  });

  app.delete('/overrides/:date', {
    config: writers,
    schema: {
      tags: ['calendar'],
      summary: 'Remove the override of one date (the statutory/weekly rule applies again)',
      params: z.object({ date: realDate }),
      querystring: z.object({ reason }),
      response: { 200: versionSummarySchema, ...errors },
    },
  }, async (request) => {
    const { date } = request.params;
    const row = await createCalendarVersion(
      app.db,
      validated((current) => {
        if (!current.overrides.some((o) => o.date === date)) throw problem('not-found', `No override for ${date}`);
        return { ...current, overrides: current.overrides.filter((o) => o.date !== date) };
      }),
      `override ${date} removed: ${request.query.reason}`,
      actorOf(request).userId,
    );
    return summaryOf(row);
  });

  app.put('/working-hours', {
    config: writers,
    schema: {
      tags: ['calendar'],
      summary: 'Set the working-hours windows of a working day (project rule; default 08:00-12:00, 13:00-17:00)',
      body: z.object({ windows: z.array(workingHoursSchema).min(1).max(6), reason }),
      response: { 200: versionSummarySchema, ...errors },
    },
  }, async (request) => {
    const { windows } = request.body;
    const row = await createCalendarVersion(
      app.db,
      validated((current) => ({ ...current, workingHours: windows })),
      `working hours set to ${windows.map((w) => `${w.start}-${w.end}`).join(', ')}: ${request.body.reason}`,
      actorOf(request).userId,
    );
    return summaryOf(row);
  });
};
