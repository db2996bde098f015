import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import { createWorker } from '../../runtime/worker.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import type { Actor } from '../../api/auth.js';
import type { DvcttView } from '../../workflows/dvctt.definitions.js';
import { bearer, testConfig, testLogger, uniqueId } from '../support/env.js';

const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const bca: Actor = { userId: 'officer-bca', role: 'agency', agency: 'BCA' };
const vpcp: Actor = { userId: 'vpcp-reviewer', role: 'vpcp', agency: 'VPCP' };
const portal: Actor = { userId: 'portal', role: 'portal' };

describe('DVCTT over HTTP: API → Temporal dev server → worker → PostgreSQL', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  let database: DatabaseHandle;
  let baseUrl: string;

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    ({ worker } = await createWorker({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TASK_QUEUE,
      deps: { db: database.db, logger: testLogger() },
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../../workflows/dvctt.workflow.ts', import.meta.url)),
        logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
      }),
    }));
    running = worker.run();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await database?.close();
  });

  async function call<T = DvcttView>(actor: Actor | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = actor ? { authorization: await bearer(config, actor) } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}/v1/dvctt${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function declare(): Promise<string> {
    const code = uniqueId('DVC-BTP');
    const res = await call(btp, 'POST', '/services', { code, name: 'Cấp phiếu lý lịch tư pháp', tthcCode: '1.001234', agency: 'BTP', level: 4 });
    expect(res.status).toBe(201);
    return code;
  }

  it('Art 27–28: a declared service goes live through the loop over HTTP, is suspended (no new dossiers) and resumed', async () => {
    const code = await declare();
    const before = await call(btp, 'GET', `/services/${code}`);
    expect(before.body).toMatchObject({ status: 'declared', rounds: [], allowedActions: [{ action: 'propose', by: 'BTP' }] });

    expect((await call(btp, 'POST', `/services/${code}/propose`, {})).body.status).toBe('proposed');
    const rejected = await call(vpcp, 'POST', `/services/${code}/review`, { decision: 'reject', reasons: 'Thiếu biểu mẫu / form missing' });
    expect(rejected.body).toMatchObject({ status: 'returned', currentRound: 1 });
    expect((await call(btp, 'POST', `/services/${code}/propose`, { note: 'Đã bổ sung / fixed' })).body.currentRound).toBe(2);
    expect((await call(vpcp, 'POST', `/services/${code}/review`, { decision: 'approve' })).body.status).toBe('published-for-testing');
    const noCodes = await call(btp, 'POST', `/services/${code}/test-report`, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: [] });
    expect(noCodes.status).toBe(400);
    const reported = await call(btp, 'POST', `/services/${code}/test-report`, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: ['H01-0001', 'H01-0002'] });
    expect(reported.body.status).toBe('test-reported');
    const live = await call(vpcp, 'POST', `/services/${code}/confirm`, { result: 'pass' });
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'live', acceptsNewDossiers: true });

    const detail = await call(vpcp, 'GET', `/services/${code}`);
    expect(detail.body.rounds.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'passed']]);
    expect(detail.body.rounds[1]?.clocks.map((c) => [c.key, c.owner, c.outcome])).toEqual(expect.arrayContaining([
      ['review#2', 'VPCP', 'met'], ['test#2', 'BTP', 'met'], ['confirm#2', 'VPCP', 'met'],
    ]));
    expect(detail.body.rounds[1]?.clocks[0]?.explanation).toContain('working day');

    const rounds = await call<{ items: { round: number; outcome: string }[] }>(btp, 'GET', `/services/${code}/rounds`);
    expect(rounds.body.items.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'passed']]);
    const perService = await call<{ items: { code: string; rounds: number; rejected: number; passed: number }[] }>(vpcp, 'GET', '/reports/rounds?agency=BTP');
    expect(perService.body.items.find((s) => s.code === code)).toMatchObject({ rounds: 2, rejected: 1, passed: 1 });

    const breaches = await call<{ byOwner: unknown[]; items: unknown[] }>(vpcp, 'GET', `/reports/breaches?serviceCode=${code}`);
    expect(breaches.body).toEqual({ byOwner: [], items: [] });

    expect((await call(portal, 'GET', `/services/${code}/availability`)).body).toMatchObject({ status: 'live', acceptsNewDossiers: true });
    await call(vpcp, 'POST', `/services/${code}/suspend`, { reasons: 'Nhiều phản ánh lỗi / many complaints' });
    expect((await call(portal, 'GET', `/services/${code}/availability`)).body).toMatchObject({ status: 'suspended', acceptsNewDossiers: false });
    const stuck = await call<{ items: { code: string }[] }>(vpcp, 'GET', '/services?status=suspended&minDaysInStatus=0');
    expect(stuck.body.items.map((s) => s.code)).toContain(code);
    expect((await call(vpcp, 'POST', `/services/${code}/resume`, {})).status).toBe(409);
    await call(btp, 'POST', `/services/${code}/fix`, { note: 'Đã sửa lỗi thanh toán / payment fixed' });
    expect((await call(vpcp, 'POST', `/services/${code}/resume`, {})).body.status).toBe('live');
    expect((await call(portal, 'GET', `/services/${code}/availability`)).body.acceptsNewDossiers).toBe(true);
  });

  it('Art 27.3: an agency cannot act for VPCP, nor for another agency — 403 and nothing changed', async () => {
    const code = await declare();
    expect((await call(bca, 'POST', `/services/${code}/propose`, {})).status).toBe(403);
    expect((await call(btp, 'GET', `/services/${code}`)).body.status).toBe('declared');
    await call(btp, 'POST', `/services/${code}/propose`, {});

    const selfReview = await call<{ type: string }>(btp, 'POST', `/services/${code}/review`, { decision: 'approve' });
    expect(selfReview.status).toBe(403);
    expect(selfReview.body.type).toBe('urn:dvcqg:problem:wrong-role');
    const otherAgency = await call<{ type: string }>(bca, 'POST', `/services/${code}/withdraw`, { reasons: 'không phải của tôi' });
    expect(otherAgency.status).toBe(403);
    expect(otherAgency.body.type).toBe('urn:dvcqg:problem:wrong-scope');
    expect((await call(bca, 'GET', `/services/${code}`)).status).toBe(403);
    expect((await call(vpcp, 'POST', `/services/${code}/propose`, {})).status).toBe(403);
    expect((await call(undefined, 'POST', `/services/${code}/review`, { decision: 'approve' })).status).toBe(401);

    const after = await call(vpcp, 'GET', `/services/${code}`);
    expect(after.body.status).toBe('proposed');
    expect(after.body.actions.map((a) => [a.action, a.actor.userId])).toEqual([['propose', 'officer-btp']]);
    // A refused transition (validator) is a 409 with the reason, also not recorded.
    const early = await call<{ detail: string }>(vpcp, 'POST', `/services/${code}/confirm`, { result: 'pass' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('no test report');
    expect((await call(vpcp, 'GET', `/services/${code}`)).body.actions).toHaveLength(1);
  });
});
