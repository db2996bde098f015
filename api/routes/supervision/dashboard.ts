import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { dueByDay, latestBreaches, longestOpenBreaches, partyNames, soonestDue, weeklyBreaches, weeklyOnTime } from '../../../db/queries/dashboard.js';
import { latestPublishedLevels } from '../../../db/queries/evaluation.js';
import { VN_ZONE } from '../../../domain/calendar/index.js';
import { actorOf, authConfigOf, type Role } from '../../auth.js';
import { problemSchema } from '../../errors.js';
import { safeText } from '../../schemas.js';
import { sendHtml, temporalUiUrl } from '../audit/html.js';
import { authenticatePage } from '../audit/view-token.js';
import { clockScopeOf, DUE_SOON_WORKING_DAYS } from './clocks.js';
import { dashboardPage, type DashboardData } from './dashboard-page.js';

/** Weeks of history on the charts (the current week included). */
export const DASHBOARD_WEEKS = 12;
/** Rows of each breach table and of the due-soon table. */
export const DASHBOARD_ROWS = 20;
const DASHBOARD_ROLES = ['vpcp', 'auditor', 'agency', 'bank'] as const satisfies readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page a browser may open with `?token=<view token>` (POST /v1/audit/view-token) instead of a bearer header. */
    pageView?: readonly Role[];
  }
}

/**
 * The supervisor dashboard, server-rendered HTML with inline SVG charts (no script, no build step):
 * on-time rate per agency over the last 12 weeks, breaches per week by process, open clocks due in
 * the next 5 working days, the latest and the longest open breaches. VPCP and auditors see every
 * clock; an agency officer the same page for its own cases and the clocks it owns; a bank the
 * clocks it owns. Breaches and rates count `regulated` clocks only.
 */
export const dashboardRoutes: FastifyPluginAsyncZod = async (app) => {
  const keys = authConfigOf(app.config);
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.pageView;
    if (roles) await authenticatePage(request, keys, roles);
  });

  app.get('/dashboard', {
    config: { pageView: DASHBOARD_ROLES },
    schema: {
      tags: ['supervision'],
      summary: 'Supervisor dashboard (HTML): on-time rates per agency over 12 weeks, breaches per week by process, clocks due in 5 working days, latest and longest breaches',
      security: [{ bearer: [] }],
      querystring: z.object({ token: safeText(4096).optional() }),
      response: { 200: z.string().describe('text/html'), 400: problemSchema, 401: problemSchema, 403: problemSchema },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const scope = clockScopeOf(actor);
    const now = new Date();
    const thisWeek = DateTime.fromJSDate(now).setZone(VN_ZONE).startOf('week');
    const weeks = Array.from({ length: DASHBOARD_WEEKS }, (_, i) => thisWeek.minus({ weeks: DASHBOARD_WEEKS - 1 - i }));
    const calendar = await app.calendars.get();
    const until = new Date(calendar.computeDeadline({ from: now.toISOString(), amount: DUE_SOON_WORKING_DAYS, unit: 'workingDays' }).dueAt);
    // Local days from today to the due-soon horizon (clocks already past due count on today).
    const days: DateTime[] = [];
    for (let day = DateTime.fromJSDate(now).setZone(VN_ZONE).startOf('day'); day.toJSDate() <= until; day = day.plus({ days: 1 })) days.push(day);
    const weekStarts = weeks.map((w) => w.toJSDate());
    const [onTime, breachWeeks, due, latest, longest, dueSoonest, evaluation] = await Promise.all([
      weeklyOnTime(app.db, scope, { weeks: weekStarts, to: now }),
      weeklyBreaches(app.db, scope, { weeks: weekStarts, to: now }),
      dueByDay(app.db, scope, { days: days.map((d) => d.toJSDate()), until }),
      latestBreaches(app.db, scope, DASHBOARD_ROWS),
      longestOpenBreaches(app.db, scope, DASHBOARD_ROWS),
      soonestDue(app.db, scope, { until, limit: DASHBOARD_ROWS }),
      // Published results are public: every role sees the whole table (Art 30.3).
      latestPublishedLevels(app.db),
    ]);
    const codes = [
      ...onTime.map((r) => r.owner),
      ...[...latest, ...longest, ...dueSoonest].flatMap((c) => [c.owner, c.caseAgency]),
      ...(scope.agency ? [scope.agency] : scope.bank ? [scope.bank] : []),
      ...(evaluation?.results.map((r) => r.agency) ?? []),
    ];
    const data: DashboardData = {
      now,
      scope,
      names: await partyNames(app.db, codes),
      weeks: weeks.map((w) => ({ key: w.toISODate()!, label: w.toFormat('dd/MM') })),
      days,
      until,
      workingDays: DUE_SOON_WORKING_DAYS,
      // Buckets (1 = the first period) back to their week and day keys.
      onTime: onTime.map((r) => ({ ...r, week: weeks[r.week - 1]!.toISODate()! })),
      breachWeeks: breachWeeks.map((r) => ({ ...r, week: weeks[r.week - 1]!.toISODate()! })),
      due: due.map((r) => ({ ...r, day: days[Math.max(1, r.day) - 1]!.toISODate()! })),
      latest,
      longest,
      dueSoonest,
      evaluation,
      // A bank's token opens no audit timeline: its rows link to none.
      links: { token: request.query.token, temporalUi: (workflowId) => temporalUiUrl(app.config, workflowId), timelines: actor.role !== 'bank' },
    };
    return sendHtml(reply as FastifyReply, dashboardPage(data));
  });
};
