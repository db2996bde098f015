import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { awaitingUploads, reportDetail, reportSummary, type ReportCursor } from '../../../db/queries/reconciliation.js';
import { reconciliationOutcome } from '../../../db/schema/index.js';
import { actorOf } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { realDate, safeCode, safeText } from '../../schemas.js';
import { reportCsv } from './csv.js';
import { scopeOf } from './scope.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };
/** Project rule: one report covers at most a year of days; a page of detail at most 50,000 rows. */
const MAX_DAYS = 366;
const MAX_ROWS = 50_000;
const DETAIL_COLUMNS = [
  'txnDate', 'agency', 'bank', 'paymentId', 'seq', 'outcome', 'ownerKind', 'feeTypeCode', 'bankTxnRef',
  'portalAmount', 'bankAmount', 'agencyAmount', 'portalStatus', 'bankStatus', 'agencyStatus',
] as const;

const encodeCursor = (c: ReportCursor) => Buffer.from(JSON.stringify([c.txnDate, c.agency, c.bank, c.paymentId, c.seq])).toString('base64url');
const cursorSchema = z.tuple([realDate, z.string(), z.string(), z.string(), z.number().int()]);
function decodeCursor(after: string): ReportCursor {
  try {
    const [txnDate, agency, bank, paymentId, seq] = cursorSchema.parse(JSON.parse(Buffer.from(after, 'base64url').toString('utf8')));
    return { txnDate, agency, bank, paymentId, seq };
  } catch {
    throw problem('validation', 'after is not a cursor this report returned', [{ path: 'querystring.after', message: 'use nextAfter of the previous page' }]);
  }
}

const summarySchema = z.object({
  agency: z.string(), bank: z.string(), transactions: z.number(), outcomes: z.record(z.string(), z.number()),
  portalTotal: z.number(), bankTotal: z.number(), agencyTotal: z.number(),
});
const detailSchema = z.object({
  txnDate: z.string(), agency: z.string(), bank: z.string(), paymentId: z.string(), seq: z.number(), outcome: z.string(), ownerKind: z.string().nullable(),
  feeTypeCode: z.string().nullable(), bankTxnRef: z.string().nullable(), portalAmount: z.number().nullable(), bankAmount: z.number().nullable(),
  agencyAmount: z.number().nullable(), portalStatus: z.string().nullable(), bankStatus: z.string().nullable(), agencyStatus: z.string().nullable(),
});

/**
 * Reconciliation reports for any period (Art 34.3): by agency (a), bank (b), fee type (c), outcome
 * or transaction status (d), summary or detail (d), over the days from..to (đ); JSON or CSV. The
 * days × pairs a party has not uploaded for are listed as awaiting upload (Art 34.2).
 */
export const reconciliationReportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/reports', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['reconciliation'],
      summary: 'Reconciliation report of a period (Art 34.3): summary per agency × bank, the pairs awaiting an upload, and (view=detail or format=csv) the transactions, a page at a time',
      querystring: z.object({
        from: realDate, to: realDate, agency: safeCode().optional(), bank: safeCode().optional(), feeTypeCode: safeCode().optional(),
        outcome: z.enum(reconciliationOutcome.enumValues).optional(), status: z.enum(['success', 'failed']).optional(),
        view: z.enum(['summary', 'detail']).default('summary'), format: z.enum(['json', 'csv']).default('json'),
        after: safeText(1000).optional(), limit: z.coerce.number().int().min(1).max(MAX_ROWS).default(1000),
      }),
      response: {
        200: z.union([
          z.object({
            from: z.string(), to: z.string(), summary: z.array(summarySchema),
            awaitingUpload: z.array(z.object({ txnDate: z.string(), agency: z.string(), bank: z.string(), payments: z.number(), awaiting: z.array(z.enum(['bank', 'agency'])) })),
            detail: z.array(detailSchema).optional(), nextAfter: z.string().optional(),
          }),
          z.string(),
        ]),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const { query } = request;
    const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000 + 1;
    if (days < 1 || days > MAX_DAYS) {
      throw problem('validation', `A report covers 1 to ${MAX_DAYS} days (from ≤ to)`, [{ path: 'querystring.to', message: `${query.from}..${query.to} is ${days} days` }]);
    }
    const filters = scopeOf(actorOf(request), {
      from: query.from, to: query.to, agency: query.agency, bank: query.bank, feeTypeCode: query.feeTypeCode, outcome: query.outcome, status: query.status,
    });
    const page = async () => {
      const rows = await reportDetail(app.db, { ...filters, after: query.after ? decodeCursor(query.after) : undefined, limit: query.limit + 1 });
      const more = rows.length > query.limit;
      const detail = more ? rows.slice(0, query.limit) : rows;
      return { detail, nextAfter: more ? encodeCursor(detail[detail.length - 1]!) : undefined };
    };
    if (query.format === 'csv') {
      const { detail, nextAfter } = await page();
      if (nextAfter) void reply.header('x-next-after', nextAfter);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="reconciliation-${query.from}-${query.to}.csv"`)
        .send(reportCsv(detail, DETAIL_COLUMNS));
    }
    const [summary, awaitingUpload] = await Promise.all([reportSummary(app.db, filters), awaitingUploads(app.db, filters)]);
    if (query.view === 'summary') return { from: query.from, to: query.to, summary, awaitingUpload };
    const { detail, nextAfter } = await page();
    return { from: query.from, to: query.to, summary, awaitingUpload, detail, ...(nextAfter ? { nextAfter } : {}) };
  });
};
