import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { apiLoggerOptions, buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { mintViewToken } from '../../api/routes/audit/view-token.js';
import { dataConverterFor } from '../../codec/encryption.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { reconciliationResults } from '../../db/schema/index.js';
import { createLogger } from '../../runtime/logger.js';
import { createWorker } from '../../runtime/worker.js';
import { bearer, eventually, quietBundle, testConfig, uniqueId } from '../support/env.js';

/** Every log line written, API and worker alike (pino output captured from its stream). */
function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('personal data discipline: logs and downloads', () => {
  const config = testConfig({ LOG_LEVEL: 'info' });
  const logs = captureLogs();
  const phone = '0912345678';
  const email = `citizen-${uniqueId('').slice(1, 9)}@example.vn`;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const vpcp: Actor = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };
  let database: DatabaseHandle;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    ({ worker } = await createWorker({
      address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
      deps: { db: database.db, logger: createLogger('info', { component: 'worker' }, logs.stream) },
      workflowBundle: await quietBundle(new URL('../../workflows/feedback.workflow.ts', import.meta.url)),
      dataConverter: dataConverterFor(config),
    }));
    running = worker.run();
    app = await buildApp(config, undefined, { ...apiLoggerOptions(config), stream: logs.stream });
  });
  afterAll(async () => {
    await app?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await database?.close();
  });

  it("Art 36.3: a feedback submission is logged (API and the worker's SMS/e-mail receipts) without the sender's phone, e-mail or name", async () => {
    const res = await app.inject({
      method: 'POST', url: '/v1/feedback',
      headers: { authorization: await bearer(config, portal), 'idempotency-key': uniqueId('key') },
      payload: {
        sender: { name: 'Phạm Thị Dung', address: '12 Trần Phú, Hà Nội', phone, email, portalAccountId: uniqueId('acc') },
        content: 'Đề nghị hướng dẫn rõ thành phần hồ sơ của thủ tục cấp phiếu lý lịch tư pháp.',
        agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
      },
    });
    expect(res.statusCode).toBe(201);
    // The worker sends the receipt by SMS and by e-mail (Art 36.3); both are logged.
    await eventually(async () => logs.lines.filter((l) => l.includes('notification sent')).length, (n) => n >= 2, 30_000);
    const submission = logs.lines.filter((l) => l.includes(res.json().workflowId as string) || l.includes('feedback received') || l.includes('/v1/feedback'));
    expect(submission.length).toBeGreaterThan(0);
    for (const line of logs.lines) {
      expect(line).not.toContain(phone);
      expect(line).not.toContain(email);
      expect(line).not.toContain('Phạm Thị Dung');
    }
  });

  it('a database error is logged without the values of its query', async () => {
    const logger = createLogger('info', {}, logs.stream);
    const err = await database.db.execute(sql`select ${phone}::date as d`).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain(phone);
    logger.error({ err }, 'query failed');
    const line = logs.lines.at(-1) ?? '';
    expect(line).toContain('query failed');
    expect(line).toContain('params: [redacted]');
    expect(line).not.toContain(phone);
  });

  it('an audit view token appears neither in the request log nor in an error body', async () => {
    const token = (await mintViewToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, { userId: 'officer-1', role: 'agency', agency: 'BTP' })).token;
    const res = await app.inject({ method: 'GET', url: `/v1/audit/supervisor?format=html&agency=BYT&token=${token}` });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain(token);
    expect(res.json().instance).toContain('token=[redacted]');
    expect(logs.lines.some((l) => l.includes('token=[redacted]'))).toBe(true);
    expect(logs.lines.every((l) => !l.includes(token))).toBe(true);
  });

  it('a CSV download neutralises formulas: a value =HYPERLINK(...) starts with an apostrophe', async () => {
    const bank = `F${uniqueId('').slice(1, 9)}`.toUpperCase();
    const formula = '=HYPERLINK("http://evil.example/x","Xem")';
    await database.db.insert(reconciliationResults).values([
      { txnDate: '2026-03-03', agency: 'BTP', bank, paymentId: formula, seq: 1, outcome: 'missingAtPortal', ownerKind: 'bank', bankAmount: 1000, bankStatus: 'success', bankTxnRef: '@SUM(1)' },
      { txnDate: '2026-03-03', agency: 'BTP', bank, paymentId: 'plain-id', seq: 1, outcome: 'matched', bankTxnRef: '-5+3' },
    ]);
    const res = await app.inject({ method: 'GET', url: `/v1/reconciliation/reports/2026-03-03/BTP/${bank}?format=csv`, headers: { authorization: await bearer(config, vpcp) } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = res.body.split('\r\n');
    const formulaRow = rows.find((r) => r.includes('HYPERLINK')) ?? '';
    expect(formulaRow.startsWith(`"'=HYPERLINK(`)).toBe(true);
    expect(formulaRow).toContain(",'@SUM(1),");
    expect(rows.find((r) => r.startsWith('plain-id'))).toContain(",'-5+3,");
  });

  it('issue 14.4 (Art 34.3d): a day of 20,000 lines downloads as a stream from a cursor — every line, in order, formulas still neutralised', async () => {
    const bank = `S${uniqueId('').slice(1, 9)}`.toUpperCase();
    await database.db.execute(sql`
      insert into reconciliation_results (txn_date, agency, bank, payment_id, seq, outcome, owner_kind, bank_amount, bank_status, bank_txn_ref)
      select '2026-03-04', 'BTP', ${bank}, 'p-' || lpad(n::text, 6, '0'), 1, 'missingAtPortal', 'bank', n, 'success', case when n = 777 then '=1+1' else 'ref-' || n end
      from generate_series(1, 20000) as n`);
    const res = await app.inject({ method: 'GET', url: `/v1/reconciliation/reports/2026-03-04/BTP/${bank}?format=csv`, headers: { authorization: await bearer(config, vpcp) } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = res.body.split('\r\n').filter((r) => r.length > 0);
    expect(rows[0]).toBe('paymentId,seq,outcome,ownerKind,feeTypeCode,bankTxnRef,portalAmount,bankAmount,agencyAmount,portalStatus,bankStatus,agencyStatus');
    expect(rows).toHaveLength(20_001);
    expect(rows[1]!.startsWith('p-000001,1,missingAtPortal,bank,,ref-1,,1,,,success,')).toBe(true);
    expect(rows[20_000]!.startsWith('p-020000,')).toBe(true);
    expect(rows[777]).toContain(",'=1+1,");
  });
});
