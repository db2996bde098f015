import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import {
  DAY_DETAIL_COLUMNS,
  dayDetail,
  dayDetailQuery,
  daySummary,
  findDiscrepancy,
  listDiscrepancies,
  listReconciledDays,
  replaceUpload,
  unknownPaymentIds,
  type ReconciliationSource,
  type UploadLine,
} from '../../../db/queries/reconciliation.js';
import { findAgency } from '../../../db/queries/agencies.js';
import { findBank } from '../../../db/queries/payment.js';
import { discrepancyStatus, reconciliationOutcome } from '../../../db/schema/index.js';
import { agencyKey, processKey, stageKey } from '../../../workflows/search-attributes.js';
import { recordDiscrepancyCauseUpdate, resolveDiscrepancyUpdate } from '../../../workflows/discrepancy.definitions.js';
import { RECONCILIATION_PROCESS, reconciliationWorkflowId } from '../../../workflows/reconciliation.definitions.js';
import { actorOf, type Actor } from '../../auth.js';
import { runUpdate } from '../../idempotency.js';
import { problem, problemSchema } from '../../errors.js';
import { caseId, realDate, safeCode, safeMultilineText, safeText } from '../../schemas.js';
import { vndSchema } from '../payments/index.js';
import { CsvUpload, MAX_LINE_ERRORS, readCsvUpload, reportCsvStream, type CsvLimits } from './csv.js';
import { streamRows } from '../../../db/queries/stream.js';
import { reconciliationReportRoutes } from './reports.js';
import { ensureReconciliationSchedule } from './schedule.js';
import { assertPairScope, scopeOf } from './scope.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const code = safeCode();
const day = realDate;
const lineSchema = z.object({
  paymentId: safeText(200), bankTxnRef: safeText(128), amount: vndSchema,
  status: z.enum(['success', 'failed']), feeTypeCode: code.optional(),
});
// A CSV body arrives parsed by the text/csv parser below (first, so its lines are not re-validated as JSON).
const uploadBody = z.union([z.instanceof(CsvUpload).describe('text/csv: payment_id,bank_txn_ref,amount,status[,fee_type_code]'), z.object({ lines: z.array(lineSchema).max(2_000_000) })]);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const discrepancySchema = z
  .object({
    id: z.string(), txnDate: z.string(), agency: z.string(), bank: z.string(), paymentId: z.string(), seq: z.number(), kind: z.string(),
    ownerKind: z.enum(['bank', 'agency']), owner: z.string(), status: z.enum(discrepancyStatus.enumValues), cause: z.string().nullable(),
    resolution: z.string().nullable(), dueAt: z.string().nullable(), breached: z.boolean(), refundId: z.string().nullable(),
    detectedAt: z.string(), resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Discrepancy' });
type DiscrepancyRecord = NonNullable<Awaited<ReturnType<typeof findDiscrepancy>>>;
const toDiscrepancy = ({ revision: _r, updatedAt: _u, ...d }: DiscrepancyRecord) => ({ ...d, dueAt: iso(d.dueAt), detectedAt: d.detectedAt.toISOString(), resolvedAt: iso(d.resolvedAt) });

/**
 * Daily reconciliation (Art 34): banks upload statements and agencies their records (JSON or
 * CSV), per day and agency × bank; the daily Schedule (or VPCP) runs the three-way comparison;
 * reports per day / agency / bank, summary or detail, JSON or CSV; discrepancy cases.
 */
export const reconciliationRoutes: FastifyPluginAsyncZod = async (app) => {
  // The daily Schedule exists wherever the API runs (idempotent; tests create it explicitly).
  if (app.config.NODE_ENV !== 'test') {
    app.addHook('onReady', async () => {
      ensureReconciliationSchedule(app.temporal, app.config.TASK_QUEUE).then(
        ({ created }) => app.log.info({ created }, 'daily reconciliation schedule ensured'),
        (err: unknown) => app.log.warn({ err }, 'daily reconciliation schedule not ensured yet; PUT /v1/reconciliation/schedule creates it'),
      );
    });
  }

  const limits: CsvLimits = { maxBytes: app.config.UPLOAD_MAX_BYTES, maxRows: app.config.UPLOAD_MAX_ROWS, maxFieldLength: app.config.UPLOAD_MAX_FIELD_LENGTH };
  // Banks send statements as CSV: parsed as the body streams in, within the upload limits.
  app.addContentTypeParser(['text/csv', 'text/plain'], async (request: FastifyRequest, body: Readable) => readCsvUpload(body, request.headers['content-length'], limits));

  /**
   * The agency, the bank and every payment an upload names must be known to the Portal (422 naming
   * the lines otherwise): a statement about unknown payments is the uploader's mistake to correct.
   */
  async function assertKnown(key: { agency: string; bank: string }, lines: UploadLine[], lineOf: (index: number) => string) {
    const [agency, bank] = await Promise.all([findAgency(app.db, key.agency), findBank(app.db, key.bank)]);
    const unknownParties = [
      ...(agency ? [] : [{ path: 'params.agency', message: `unknown agency ${key.agency}` }]),
      ...(bank ? [] : [{ path: 'params.bank', message: `unknown bank ${key.bank}` }]),
    ];
    if (unknownParties.length > 0) throw problem('unprocessable', 'The upload names an agency or bank the Portal does not know', unknownParties);
    const unknown = await unknownPaymentIds(app.db, key.agency, lines.map((l) => l.paymentId));
    if (unknown.size === 0) return;
    const errors: { path: string; message: string }[] = [];
    let count = 0;
    lines.forEach((line, i) => {
      if (!unknown.has(line.paymentId)) return;
      count++;
      if (errors.length < MAX_LINE_ERRORS) errors.push({ path: lineOf(i), message: `${line.paymentId} is no payment of agency ${key.agency}` });
    });
    throw problem('unprocessable', `${count} line(s) name payments the Portal does not know for agency ${key.agency}`, errors);
  }

  async function upload(source: ReconciliationSource, key: { agency: string; bank: string; txnDate: string }, body: z.infer<typeof uploadBody>, actor: Actor) {
    const csv = body instanceof CsvUpload ? body : undefined;
    if (body.lines.length > limits.maxRows) throw problem('payload-too-large', `The upload has more than ${limits.maxRows} lines`);
    await assertKnown(key, body.lines, (i) => (csv ? `line ${csv.lineNumbers[i]}` : `body.lines.${i}`));
    const format = csv ? ('csv' as const) : ('json' as const);
    const { lineCount } = await replaceUpload(app.db, { source, ...key }, body.lines, { format, uploadedBy: actor.userId });
    return { source, ...key, lineCount, format };
  }
  const uploadResponse = z.object({ source: z.enum(['bank', 'agency']), agency: z.string(), bank: z.string(), txnDate: z.string(), lineCount: z.number(), format: z.enum(['json', 'csv']) });

  app.put('/statements/:bank/:agency/:txnDate', {
    bodyLimit: limits.maxBytes,
    config: { access: { roles: ['bank'], bankOf: (req) => (req.params as { bank: string }).bank } },
    schema: {
      tags: ['reconciliation'], summary: "The bank's statement for one day and agency (Art 34.4a–b); replaces an earlier upload",
      params: z.object({ bank: code, agency: code, txnDate: day }), body: uploadBody, response: { 200: uploadResponse, ...errors },
    },
  }, async (request) => upload('bank', request.params, request.body, actorOf(request)));

  app.put('/agency-records/:agency/:bank/:txnDate', {
    bodyLimit: limits.maxBytes,
    config: { access: { roles: ['agency'], agencyOf: (req) => (req.params as { agency: string }).agency }, permission: 'reconciliation.upload' },
    schema: {
      tags: ['reconciliation'], summary: "The agency's own records for one day and bank (Art 34.4b–c); replaces an earlier upload",
      params: z.object({ agency: code, bank: code, txnDate: day }), body: uploadBody, response: { 200: uploadResponse, ...errors },
    },
  }, async (request) => upload('agency', request.params, request.body, actorOf(request)));

  app.post('/runs', {
    config: { access: { roles: ['vpcp'] }, permission: 'reconciliation.run' },
    schema: {
      tags: ['reconciliation'], summary: 'Reconcile (again) one day now, e.g. after a late or corrected upload',
      body: z.object({ txnDate: day }), response: { 202: z.object({ workflowId: z.string(), txnDate: z.string() }), ...errors },
    },
  }, async (request, reply) => {
    const workflowId = reconciliationWorkflowId(request.body.txnDate);
    await app.temporal.workflow.start('reconciliationWorkflow', {
      taskQueue: app.config.TASK_QUEUE, workflowId, args: [{ txnDate: request.body.txnDate }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [{ key: agencyKey, value: 'VPCP' }, { key: processKey, value: RECONCILIATION_PROCESS }, { key: stageKey, value: 'reconciling' }],
    });
    return reply.status(202).send({ workflowId, txnDate: request.body.txnDate });
  });

  app.put('/schedule', {
    config: { access: { roles: ['vpcp'] }, permission: 'reconciliation.run' },
    schema: {
      tags: ['reconciliation'], summary: 'Create the daily reconciliation Schedule (06:00 Asia/Ho_Chi_Minh) if missing; idempotent',
      response: { 200: z.object({ scheduleId: z.string(), created: z.boolean() }), ...errors },
    },
  }, async () => ensureReconciliationSchedule(app.temporal, app.config.TASK_QUEUE));

  app.get('/days', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['reconciliation'], summary: 'Reconciled days, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(366).default(31) }),
      response: { 200: z.object({ items: z.array(z.object({ txnDate: z.string(), status: z.string(), transactions: z.number(), discrepancies: z.number(), reconciledAt: z.string().nullable() })) }), ...errors },
    },
  }, async (request) => ({
    items: (await listReconciledDays(app.db, request.query.limit)).map((d) => ({ txnDate: d.txnDate, status: d.status, transactions: d.transactions, discrepancies: d.discrepancies, reconciledAt: iso(d.reconciledAt) })),
  }));

  // Any period, any filter (Art 34.3): GET /reports.
  await app.register(reconciliationReportRoutes);

  const summarySchema = z.object({
    agency: z.string(), bank: z.string(), transactions: z.number(), outcomes: z.record(z.string(), z.number()),
    portalTotal: z.number(), bankTotal: z.number(), agencyTotal: z.number(),
  });

  app.get('/reports/:txnDate', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['reconciliation'], summary: 'Summary per agency × bank of one day (Art 34.3): counts per outcome and totals (VND)',
      params: z.object({ txnDate: day }), querystring: z.object({ agency: code.optional(), bank: code.optional(), feeTypeCode: code.optional() }),
      response: { 200: z.object({ txnDate: z.string(), pairs: z.array(summarySchema) }), ...errors },
    },
  }, async (request) => ({ txnDate: request.params.txnDate, pairs: await daySummary(app.db, request.params.txnDate, scopeOf(actorOf(request), request.query)) }));

  app.get('/reports/:txnDate/:agency/:bank', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['reconciliation'], summary: 'Summary and detail of one day × agency × bank (Art 34.3d); ?format=csv downloads the detail',
      params: z.object({ txnDate: day, agency: code, bank: code }),
      querystring: z.object({ outcome: z.enum(reconciliationOutcome.enumValues).optional(), format: z.enum(['json', 'csv']).default('json') }),
      response: {
        200: z.union([
          z.object({
            summary: summarySchema.nullable(),
            detail: z.array(z.object({
              paymentId: z.string(), seq: z.number(), outcome: z.string(), ownerKind: z.string().nullable(), feeTypeCode: z.string().nullable(), bankTxnRef: z.string().nullable(),
              portalAmount: z.number().nullable(), bankAmount: z.number().nullable(), agencyAmount: z.number().nullable(),
              portalStatus: z.string().nullable(), bankStatus: z.string().nullable(), agencyStatus: z.string().nullable(),
            })),
          }),
          z.string(),
        ]),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const { txnDate, agency, bank } = request.params;
    assertPairScope(actorOf(request), { agency, bank });
    if (request.query.format === 'csv') {
      // A day of a pair can hold hundreds of thousands of lines: streamed through a cursor, never built in memory.
      const columns = DAY_DETAIL_COLUMNS;
      const rows = streamRows<Record<(typeof columns)[number], unknown>>(app.db, dayDetailQuery({ txnDate, agency, bank, outcome: request.query.outcome }), columns);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="reconciliation-${txnDate}-${agency}-${bank}.csv"`)
        // A stream is sent as it is (no serializer); the 200 schema documents it as text.
        .send(reportCsvStream(rows, columns) as unknown as string);
    }
    const detail = await dayDetail(app.db, { txnDate, agency, bank, outcome: request.query.outcome });
    const [summary] = await daySummary(app.db, txnDate, { agency, bank });
    return { summary: summary ?? null, detail };
  });

  app.get('/discrepancies', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['reconciliation'], summary: 'Differences under investigation (Art 34.5): a bank sees its own, an agency its own',
      querystring: z.object({
        txnDate: day.optional(), status: z.enum(discrepancyStatus.enumValues).optional(), agency: code.optional(), bank: code.optional(),
        after: caseId.optional(), limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ items: z.array(discrepancySchema) }), ...errors },
    },
  }, async (request) => {
    const rows = await listDiscrepancies(app.db, { ...scopeOf(actorOf(request), request.query), txnDate: request.query.txnDate, status: request.query.status, after: request.query.after, limit: request.query.limit });
    return { items: rows.map(toDiscrepancy) };
  });

  const discrepancyParams = z.object({ id: caseId });
  app.get('/discrepancies/:id', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: { tags: ['reconciliation'], summary: 'One difference', params: discrepancyParams, response: { 200: discrepancySchema, ...errors } },
  }, async (request) => {
    const d = await findDiscrepancy(app.db, request.params.id);
    if (!d) throw problem('not-found', `No discrepancy ${request.params.id}`);
    assertPairScope(actorOf(request), d);
    return toDiscrepancy(d);
  });

  const actionResponse = z.object({ id: z.string(), status: z.enum(discrepancyStatus.enumValues), cause: z.string().optional(), resolution: z.string().optional(), breached: z.boolean() });
  app.post('/discrepancies/:id/cause', {
    config: { access: { roles: ['agency', 'bank', 'vpcp'] }, permission: 'reconciliation.resolve' },
    schema: {
      tags: ['reconciliation'], summary: 'A party records the cause of a difference', params: discrepancyParams,
      body: z.object({ cause: safeMultilineText(4000) }), response: { 200: actionResponse, ...errors },
    },
  }, async (request) => {
    const v = await runUpdate(request, app.temporal.workflow.getHandle(request.params.id), recordDiscrepancyCauseUpdate, [{ cause: request.body.cause, actor: actorOf(request) }]);
    return { id: v.id, status: v.status, cause: v.cause, resolution: v.resolution, breached: v.breached };
  });
  app.post('/discrepancies/:id/resolve', {
    config: { access: { roles: ['agency', 'bank'] }, permission: 'reconciliation.resolve' },
    schema: {
      tags: ['reconciliation'], summary: 'The owner records how the difference was settled (Art 34.5: by the end of the next working day)', params: discrepancyParams,
      body: z.object({ resolution: safeMultilineText(4000) }), response: { 200: actionResponse, ...errors },
    },
  }, async (request) => {
    const v = await runUpdate(request, app.temporal.workflow.getHandle(request.params.id), resolveDiscrepancyUpdate, [{ resolution: request.body.resolution, actor: actorOf(request) }]);
    return { id: v.id, status: v.status, cause: v.cause, resolution: v.resolution, breached: v.breached };
  });

};
