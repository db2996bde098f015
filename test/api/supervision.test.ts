import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { slaClocks } from '../../db/schema/index.js';
import { slaClocksQuery, type ClockSpec } from '../../workflows/sla.definitions.js';
import { doneUpdate } from '../fixtures/sla-fixture.workflow.js';
import { insertClock } from '../support/sla-clocks.js';
import { bearer, eventually, testConfig, testDatabase, testLogger, uniqueId } from '../support/env.js';

const HOUR = 3_600_000;

describe('supervision API', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: uniqueId('vpcp-supervisor'), role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const as = (actor: Actor) => bearer(config, actor).then((authorization) => ({ authorization }));
  const get = async (url: string, actor: Actor) => app.inject({ method: 'GET', url, headers: await as(actor) });

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  describe('reads from the sla_clocks projection', () => {
    // This block's own process name keeps other files' clocks out of the counts.
    const process = uniqueId('proc');
    const soon = new Date(Date.now() + HOUR).toISOString();
    const inTwoMonths = new Date(Date.now() + 60 * 24 * HOUR).toISOString();

    beforeAll(async () => {
      const db = database.db;
      for (let i = 1; i <= 5; i++) {
        const dueAt = `2026-03-0${i}T16:59:59.999Z`;
        await insertClock(db, { workflowId: `${process}-btp-${i}`, process, caseAgency: 'BTP', owner: 'VPCP', outcome: 'breached', dueAt, breachedAt: dueAt });
      }
      await insertClock(db, { workflowId: `${process}-byt-1`, process, caseAgency: 'BYT', owner: 'BYT', ownerKind: 'agency', article: 'Art 42.3a', outcome: 'breached', dueAt: '2026-03-06T16:59:59.999Z', breachedAt: '2026-03-06T16:59:59.999Z' });
      await insertClock(db, { workflowId: `${process}-btp-met`, process, caseAgency: 'BTP', owner: 'VPCP', outcome: 'met', dueAt: '2026-03-02T16:59:59.999Z', completedAt: '2026-03-02T03:00:00.000Z' });
      await insertClock(db, { workflowId: `${process}-btp-soon`, process, caseAgency: 'BTP', owner: 'BTP', ownerKind: 'agency', outcome: 'pending', dueAt: soon });
      await insertClock(db, { workflowId: `${process}-byt-soon`, process, caseAgency: 'BYT', owner: 'BYT', ownerKind: 'agency', outcome: 'pending', dueAt: soon });
      await insertClock(db, { workflowId: `${process}-btp-later`, process, caseAgency: 'BTP', owner: 'BTP', ownerKind: 'agency', outcome: 'pending', dueAt: inTwoMonths });
    });

    it('SPEC §3: VPCP lists every breach of a process with paging and the total', async () => {
      const first = await get(`/v1/supervision/breaches?process=${process}&pageSize=4`, vpcp);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ total: 6, page: 1, pageSize: 4 });
      expect(first.json().items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-byt-1`, `${process}-btp-5`, `${process}-btp-4`, `${process}-btp-3`]);
      const second = (await get(`/v1/supervision/breaches?process=${process}&pageSize=4&page=2`, vpcp)).json();
      expect(second.items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-btp-2`, `${process}-btp-1`]);
      expect(second.items[0]).toMatchObject({ owner: 'VPCP', caseAgency: 'BTP', outcome: 'breached', breachedAt: '2026-03-02T16:59:59.999Z', completedAt: null });
    });

    it('SPEC §3 / issue 18.3: keyset pages — nextCursor walks every breach once, newest first; the total comes with the first page', async () => {
      const ids = (body: { items: { workflowId: string }[] }) => body.items.map((c) => c.workflowId);
      const first = (await get(`/v1/supervision/breaches?process=${process}&pageSize=4`, vpcp)).json();
      expect(first.total).toBe(6);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await get(`/v1/supervision/breaches?process=${process}&pageSize=4&cursor=${first.nextCursor}`, vpcp);
      expect(second.statusCode).toBe(200);
      expect(ids(second.json())).toEqual([`${process}-btp-2`, `${process}-btp-1`]);
      expect(second.json().nextCursor).toBeNull();
      expect(second.json().total).toBeUndefined();
      // A page that exactly fills pageSize still says there is no further page.
      const exact = (await get(`/v1/supervision/breaches?process=${process}&pageSize=6`, vpcp)).json();
      expect([exact.items.length, exact.nextCursor]).toEqual([6, null]);
      // With filters: the cursor continues the filtered list.
      const vpcpOwned = (await get(`/v1/supervision/breaches?process=${process}&owner=VPCP&pageSize=2`, auditor)).json();
      const after = (await get(`/v1/supervision/breaches?process=${process}&owner=VPCP&pageSize=2&cursor=${vpcpOwned.nextCursor}`, auditor)).json();
      expect([...ids(vpcpOwned), ...ids(after)]).toEqual([5, 4, 3, 2].map((i) => `${process}-btp-${i}`));
      // Due soon pages the same way, soonest first.
      const due = (await get(`/v1/supervision/due-soon?withinWorkingDays=60&process=${process}&pageSize=1`, vpcp)).json();
      const dueNext = (await get(`/v1/supervision/due-soon?withinWorkingDays=60&process=${process}&pageSize=1&cursor=${due.nextCursor}`, vpcp)).json();
      const dueLast = (await get(`/v1/supervision/due-soon?withinWorkingDays=60&process=${process}&pageSize=1&cursor=${dueNext.nextCursor}`, vpcp)).json();
      expect([...ids(due), ...ids(dueNext), ...ids(dueLast)].sort()).toEqual([`${process}-btp-later`, `${process}-btp-soon`, `${process}-byt-soon`]);
      expect(ids(dueLast)).toEqual([`${process}-btp-later`]);
      expect(dueLast.nextCursor).toBeNull();
    });

    it('issue 18.3: a cursor this API did not write is a 400 problem', async () => {
      const forged = Buffer.from(JSON.stringify(['not an instant', 'x', 'y'])).toString('base64url');
      for (const cursor of ['%00%01', 'bm90IGpzb24', forged, 'A'.repeat(2_000)]) {
        const res = await get(`/v1/supervision/breaches?cursor=${cursor}`, vpcp);
        expect(res.statusCode).toBe(400);
        expect(res.json().type).toBe('urn:dvcqg:problem:validation');
      }
    });

    it('SPEC §3: an auditor filters breaches by agency, owner, article and period', async () => {
      const byAgency = (await get(`/v1/supervision/breaches?process=${process}&agency=BYT`, auditor)).json();
      expect(byAgency.total).toBe(1);
      expect((await get(`/v1/supervision/breaches?process=${process}&owner=VPCP`, auditor)).json().total).toBe(5);
      expect((await get(`/v1/supervision/breaches?process=${process}&article=Art%2042.3a`, auditor)).json().total).toBe(1);
      const period = (await get(`/v1/supervision/breaches?process=${process}&from=2026-03-02T00:00:00%2B07:00&to=2026-03-04T00:00:00Z&open=true`, auditor)).json();
      expect(period.items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-btp-3`, `${process}-btp-2`]);
    });

    it('SPEC §1: an agency sees only its own cases and clocks, and is refused another agency (403)', async () => {
      const own = (await get(`/v1/supervision/breaches?process=${process}`, btp)).json();
      expect(own.total).toBe(5);
      expect(own.items.every((c: { caseAgency: string }) => c.caseAgency === 'BTP')).toBe(true);
      const other = await get(`/v1/supervision/breaches?process=${process}&agency=BYT`, btp);
      expect(other.statusCode).toBe(403);
      expect(other.json().type).toBe('urn:dvcqg:problem:wrong-scope');
      const due = (await get(`/v1/supervision/due-soon?withinWorkingDays=1&process=${process}`, btp)).json();
      expect(due.items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-btp-soon`]);
    });

    it('SPEC §3: open clocks due within N working days, on the current calendar version', async () => {
      const res = await get(`/v1/supervision/due-soon?withinWorkingDays=2&process=${process}`, vpcp);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.map((c: { workflowId: string }) => c.workflowId).sort()).toEqual([`${process}-btp-soon`, `${process}-byt-soon`]);
      expect(body.total).toBe(2);
      // The horizon is the end (23:59:59.999 local) of the 2nd working day after today.
      const horizon = (await get(`/v1/calendar/deadline?from=${encodeURIComponent(new Date().toISOString())}&amount=2&unit=workingDays`, vpcp)).json();
      expect(body.until).toBe(horizon.dueAt);
      expect(body.calendarVersion).toBe(horizon.calendarVersion);
      const far = (await get(`/v1/supervision/due-soon?withinWorkingDays=60&process=${process}&owner=BTP`, vpcp)).json();
      expect(far.items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-btp-soon`, `${process}-btp-later`]);
    });

    it('SPEC §3: on-time rates per owner for a period', async () => {
      const res = await get(`/v1/supervision/on-time-rates?process=${process}&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z`, auditor);
      expect(res.statusCode).toBe(200);
      expect(res.json().items).toEqual([
        { owner: 'BYT', ownerKind: 'agency', met: 0, breached: 1, total: 1, onTimeRate: 0 },
        { owner: 'VPCP', ownerKind: 'vpcp', met: 1, breached: 5, total: 6, onTimeRate: 1 / 6 },
      ]);
      const backwards = await get(`/v1/supervision/on-time-rates?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z`, auditor);
      expect(backwards.statusCode).toBe(400);
    });

    it('refuses other roles (403) and bad paging or horizons (400)', async () => {
      const portal: Actor = { userId: 'portal-1', role: 'portal' };
      expect((await get('/v1/supervision/breaches', portal)).statusCode).toBe(403);
      expect((await get('/v1/supervision/breaches?pageSize=0', vpcp)).statusCode).toBe(400);
      expect((await get('/v1/supervision/breaches?pageSize=501', vpcp)).statusCode).toBe(400);
      expect((await get('/v1/supervision/breaches?from=2026-02-30', vpcp)).statusCode).toBe(400);
      expect((await get('/v1/supervision/due-soon?withinWorkingDays=0', vpcp)).statusCode).toBe(400);
    });

    it('project rule: "due soon" without a horizon means within 5 working days', async () => {
      const implicit = (await get(`/v1/supervision/due-soon?process=${process}`, vpcp)).json();
      const explicit = (await get(`/v1/supervision/due-soon?process=${process}&withinWorkingDays=5`, vpcp)).json();
      expect(implicit.until).toBe(explicit.until);
      expect(implicit.items.map((c: { workflowId: string }) => c.workflowId)).toEqual(explicit.items.map((c: { workflowId: string }) => c.workflowId));
    });

    it('SPEC §3: on-time rates take plain dates as bounds, the last day included', async () => {
      const byDates = (await get(`/v1/supervision/on-time-rates?process=${process}&from=2026-03-01&to=2026-03-31`, auditor)).json();
      const byInstants = (await get(`/v1/supervision/on-time-rates?process=${process}&from=2026-03-01T00:00:00%2B07:00&to=2026-04-01T00:00:00%2B07:00`, auditor)).json();
      expect(byDates.items).toEqual(byInstants.items);
      // 2 March only: VPCP's met clock and one breach, both due at the end of that day.
      const oneDay = (await get(`/v1/supervision/on-time-rates?process=${process}&from=2026-03-02&to=2026-03-02`, auditor)).json();
      expect(oneDay.items).toEqual([{ owner: 'VPCP', ownerKind: 'vpcp', met: 1, breached: 1, total: 2, onTimeRate: 0.5 }]);
    });
  });

  describe('banks and the one scope rule', () => {
    const process = uniqueId('proc');
    const tag = process.slice(-8).toUpperCase();
    const bankCode = `K-${tag}`;
    const banker: Actor = { userId: 'banker', role: 'bank', bank: bankCode };
    const soon = new Date(Date.now() + HOUR).toISOString();

    beforeAll(async () => {
      const db = database.db;
      const due = '2026-03-03T16:59:59.999Z';
      // Art 33.4a: the bank settled one payment late and one on time, and has one settlement due soon.
      await insertClock(db, { workflowId: `${process}-p1`, process, caseAgency: 'BTP', key: 'settlement', article: 'Art 33.4a', owner: bankCode, ownerKind: 'bank', outcome: 'breached', dueAt: due, breachedAt: due });
      await insertClock(db, { workflowId: `${process}-p2`, process, caseAgency: 'BTP', key: 'settlement', article: 'Art 33.4a', owner: bankCode, ownerKind: 'bank', outcome: 'met', dueAt: due, completedAt: '2026-03-03T03:00:00.000Z' });
      await insertClock(db, { workflowId: `${process}-p3`, process, caseAgency: 'BTP', key: 'settlement', article: 'Art 33.4a', owner: bankCode, ownerKind: 'bank', outcome: 'pending', dueAt: soon });
      // Another bank's breach and the agency's own breach on the same cases.
      await insertClock(db, { workflowId: `${process}-p4`, process, caseAgency: 'BTP', key: 'settlement', article: 'Art 33.4a', owner: `L-${tag}`, ownerKind: 'bank', outcome: 'breached', dueAt: due, breachedAt: due });
      await insertClock(db, { workflowId: `${process}-p1`, process, caseAgency: 'BTP', key: 'resolve', article: 'Art 34.5', owner: 'BTP', ownerKind: 'agency', outcome: 'breached', dueAt: due, breachedAt: due });
    });

    it('Art 33.4a: a bank reads the breaches, due-soon clocks and on-time rate of the clocks it owns, nothing else', async () => {
      const breaches = (await get(`/v1/supervision/breaches?process=${process}`, banker)).json();
      expect(breaches.items.map((c: { workflowId: string; owner: string }) => `${c.workflowId}/${c.owner}`)).toEqual([`${process}-p1/${bankCode}`]);
      const due = (await get(`/v1/supervision/due-soon?process=${process}`, banker)).json();
      expect(due.items.map((c: { workflowId: string }) => c.workflowId)).toEqual([`${process}-p3`]);
      const rates = (await get(`/v1/supervision/on-time-rates?process=${process}&from=2026-03-01&to=2026-03-31`, banker)).json();
      expect(rates.items).toEqual([{ owner: bankCode, ownerKind: 'bank', met: 1, breached: 1, total: 2, onTimeRate: 0.5 }]);
      expect((await get(`/v1/supervision/breaches?process=${process}&owner=${bankCode}`, banker)).statusCode).toBe(200);
    });

    it('one rule: a filter naming another agency or bank is refused with 403 wrong-scope on every supervisor list', async () => {
      const refusals = [
        await get(`/v1/supervision/breaches?owner=L-${tag}`, banker),
        await get('/v1/supervision/breaches?agency=BYT', btp),
        await get('/v1/supervision/due-soon?agency=BYT', btp),
        await get('/v1/feedback/?agency=BYT', btp),
        await get('/v1/audit/supervisor?format=json&agency=BYT', btp),
        await get('/v1/dvctt/services?agency=BYT', btp),
        await get('/v1/tthc/decisions?agency=BYT', btp),
        await get('/v1/payments/?agency=BYT', btp),
        await get(`/v1/payments/?bank=L-${tag}`, banker),
      ];
      expect(refusals.map((r) => [r.statusCode, r.json().type])).toEqual(refusals.map(() => [403, 'urn:dvcqg:problem:wrong-scope']));
      // Naming one's own agency is fine everywhere.
      expect((await get('/v1/feedback/?agency=BTP&from=2026-03-01&to=2026-03-31', btp)).statusCode).toBe(200);
      expect((await get('/v1/audit/supervisor?format=json&agency=BTP', btp)).statusCode).toBe(200);
    });
  });

  // A real worker on the dev server runs the SLA fixture process with real activities. The test
  // makes a date of the next few days an official day off, so it removes it again at once.
  describe('recomputing open clocks after a calendar change', () => {
    let connection: NativeConnection;
    let worker: Worker;
    let running: Promise<void>;
    const spec: ClockSpec = {
      key: 'review', article: 'Art 27.3', step: 'VPCP reviews the proposal', stepVi: 'VPCP xem xét đề nghị',
      owner: 'VPCP', ownerKind: 'vpcp', amount: 2, unit: 'workingDays', stage: 'review',
    };

    beforeAll(async () => {
      connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
      worker = await Worker.create({
        connection,
        taskQueue: config.TASK_QUEUE,
        workflowBundle: await bundleWorkflowCode({
          workflowsPath: fileURLToPath(new URL('../fixtures/sla-fixture.workflow.ts', import.meta.url)),
          logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
        }),
        // The recompute job's activities send each case its update through Temporal.
        activities: createActivities({ db: database.db, logger: testLogger(), temporal: app.temporal }),
      });
      running = worker.run();
    });
    afterAll(async () => {
      worker?.shutdown();
      await running;
      await connection?.close();
    });

    it('SPEC §2-3: a calendar change never moves an open clock; the explicit VPCP recompute does, and is recorded', async () => {
      const workflowId = uniqueId('sla-recompute');
      const handle = await app.temporal.workflow.start('slaFixtureWorkflow', { taskQueue: config.TASK_QUEUE, workflowId, args: [{ agency: 'BTP', spec }] });
      const [started] = await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
      const opened = (await get(`/v1/calendar/deadline?from=${encodeURIComponent(started!.startedAt)}&amount=2&unit=workingDays`, vpcp)).json();
      expect(started!.dueAt).toBe(opened.dueAt);
      const [firstWorkingDay] = opened.explanation.countedDays as string[];
      // A case whose workflow no longer runs anywhere, with a stale open clock.
      const gone = uniqueId('sla-gone');
      await insertClock(database.db, { workflowId: gone, process: 'fixture', caseAgency: 'BTP', outcome: 'pending', calendarVersion: started!.calendarVersion, dueAt: started!.dueAt });

      const dayOff = await app.inject({
        method: 'POST', url: '/v1/calendar/overrides', headers: await as(vpcp),
        payload: { date: firstWorkingDay, kind: 'dayOff', name: 'Ad-hoc day off (test)', nameVi: 'Ngày nghỉ đột xuất (kiểm thử)', source: 'Thông báo thử nghiệm 3/TB-TEST' },
      });
      try {
        expect(dayOff.statusCode).toBe(201);
        const changed = dayOff.json().version as number;

        const [unmoved] = await handle.query(slaClocksQuery);
        expect(unmoved).toMatchObject({ dueAt: started!.dueAt, calendarVersion: started!.calendarVersion, recomputations: [] });

        expect((await app.inject({ method: 'POST', url: '/v1/supervision/recompute-clocks', headers: await as(auditor), payload: { reason: 'not allowed' } })).statusCode).toBe(403);
        const res = await app.inject({
          method: 'POST', url: '/v1/supervision/recompute-clocks', headers: await as(vpcp),
          payload: { reason: `official day off ${firstWorkingDay}`, workflowIds: [workflowId, gone] },
        });
        expect(res.statusCode).toBe(200);
        const body = res.json();
        const expected = (await get(`/v1/calendar/deadline?from=${encodeURIComponent(started!.startedAt)}&amount=2&unit=workingDays&version=${changed}`, vpcp)).json();
        expect(expected.dueAt > started!.dueAt).toBe(true);
        const mine = body.results.find((r: { workflowId: string }) => r.workflowId === workflowId);
        expect(mine).toMatchObject({ status: 'recomputed', recomputed: [{ key: 'review', previousDueAt: started!.dueAt, dueAt: expected.dueAt }] });
        expect(body.results.find((r: { workflowId: string }) => r.workflowId === gone)).toMatchObject({ status: 'failed', error: expect.any(String) });

        const [moved] = await handle.query(slaClocksQuery);
        expect(moved!.dueAt).toBe(expected.dueAt);
        expect(moved!.calendarVersion).toBeGreaterThanOrEqual(changed);
        expect(moved!.recomputations).toEqual([
          { at: expect.any(String), by: vpcp.userId, reason: `official day off ${firstWorkingDay}`, previousDueAt: started!.dueAt, previousCalendarVersion: started!.calendarVersion },
        ]);
        const row = await eventually(
          async () => (await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, 'review'))))[0],
          (r) => r?.dueAt.toISOString() === expected.dueAt,
        );
        expect(row!.calendarVersion).toBe(moved!.calendarVersion);
      } finally {
        await app.inject({ method: 'DELETE', url: `/v1/calendar/overrides/${firstWorkingDay}?reason=test%20cleanup`, headers: await as(vpcp) });
        await handle.executeUpdate(doneUpdate, { args: ['vpcp-officer'] });
        await handle.result();
      }
    });
  });
});
