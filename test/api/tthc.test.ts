import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { findDecision } from '../../db/queries/tthc.js';
import { notifications, slaClocks } from '../../db/schema/index.js';
import {
  addTthcItemsUpdate,
  checkTthcDecisionUpdate,
  decideTthcFixUpdate,
  submitTthcFixUpdate,
  tthcDecisionQuery,
  tthcDecisionWorkflowId,
  tthcReviewQuery,
  tthcReviewWorkflowId,
  type DecisionItem,
  type StartTthcReviewInput,
  type TthcContent,
  type TthcDecisionWorkflowInput,
} from '../../workflows/tthc.definitions.js';
import { decisionIdOf, localizedCode } from '../../workflows/tthc.rules.js';
import { fullContent, provincialBasis, tthcTestCode } from '../fixtures/tthc-content.js';
import { bearer, eventually, testConfig, testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle, terminateWhenIdle } from '../support/env.js';

/**
 * P1 through HTTP (`app.inject`) on the time-skipping server, with a real worker and real
 * activities against PostgreSQL: every clock is checked met and breached.
 */
describe('TTHC decisions and reviews through the API (time-skipping)', () => {
  const config = testConfig();
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;

  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const byt: Actor = { userId: uniqueId('byt-officer'), role: 'agency', agency: 'BYT' };
  const hanoi: Actor = { userId: uniqueId('hn-officer'), role: 'agency', agency: 'UBND-HN' };
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: config.TASK_QUEUE, workflowBundle: await workflowBundle(),
      activities: createActivities({ db: database.db, logger: testLogger() }),
    });
    running = worker.run();
    app = await buildApp(config, { db: database.db, temporal: env.client }, false);
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
    await database?.close();
  });

  async function call(method: InjectOptions['method'], url: string, actor?: Actor, payload?: object) {
    const headers = actor ? { authorization: await bearer(config, actor) } : {};
    return app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }
  /** The local date (UTC+7) `days` from the test server's current time. */
  const localDate = async (days = 0) => new Date((await env.currentTimeMs()) + 7 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);

  async function decision(actor: Actor, body: { authorityKind?: string; signedOn?: string; legalEffectiveOn?: string; signer?: string } = {}): Promise<string> {
    const res = await call('POST', '/v1/tthc/decisions', actor, {
      agency: actor.agency, number: `${uniqueId('QĐ')}/QĐ-${actor.agency}`, title: 'Quyết định công bố thủ tục hành chính',
      authorityKind: actor.agency?.startsWith('UBND') ? 'provincial-chairman' : 'minister',
      signedOn: await localDate(), legalEffectiveOn: await localDate(60), ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    const { decisionId } = res.json() as { decisionId: string };
    await eventually(() => call('GET', `/v1/tthc/decisions/${decisionId}`, actor), (r) => r.statusCode === 200 && r.json().issueTiming !== undefined);
    return decisionId;
  }
  const enter = (actor: Actor, id: string, items: DecisionItem[]) => call('POST', `/v1/tthc/decisions/${id}/items`, actor, { items });
  const check = (actor: Actor, id: string) => call('POST', `/v1/tthc/decisions/${id}/check`, actor);
  const publish = (actor: Actor, id: string) => call('POST', `/v1/tthc/decisions/${id}/publish`, actor);
  async function publishAll(actor: Actor, items: DecisionItem[], body?: Parameters<typeof decision>[1]) {
    const id = await decision(actor, body);
    expect((await enter(actor, id, items)).statusCode).toBe(200);
    expect((await check(actor, id)).json()).toMatchObject({ gaps: [], stage: 'checked' });
    const res = await publish(actor, id);
    expect(res.statusCode, res.body).toBe(200);
    return { id, publication: res.json() };
  }
  /** The refusal of an update that did not settle as accepted. */
  const refusalOf = (outcome: PromiseSettledResult<unknown>) => (outcome.status === 'rejected' ? ((outcome.reason as WorkflowUpdateFailedError).cause as ApplicationFailure) : undefined);

  const clock = async (actor: Actor, id: string, key = 'publish') => {
    // A skip of weeks wakes every decision of the file at once (timers up to their effective dates):
    // on this shared machine a query can then miss its 10 s deadline and is answered 503 with
    // Retry-After, which a client retries — as here.
    const res = await eventually(() => call('GET', `/v1/tthc/decisions/${id}`, actor), (r) => r.statusCode !== 503, 60_000);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().clocks as { key: string; outcome: string; amount: number; owner: string; completedAt?: string }[]).find((c) => c.key === key);
  };

  it('Art 16.4, 16.5, Decree 63 Art 24.1: an incomplete decision is refused with its gaps, then checked and published within 10 working days of signing', async () => {
    const code = tthcTestCode();
    const id = await decision(btp);
    const { components, ...rest } = fullContent('Đăng ký khai sinh');
    const incomplete: TthcContent = { ...rest, components: { ...components, dossier: undefined, fees: undefined } };
    expect((await enter(btp, id, [{ kind: 'new', code, content: incomplete }])).statusCode).toBe(200);
    const checked = (await check(btp, id)).json();
    expect(checked.stage).toBe('entering');
    expect(checked.gaps.map((g: { component: string }) => g.component).sort()).toEqual(['components.dossier', 'components.fees']);
    const refused = await publish(btp, id);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().detail).toMatch(/2 gap\(s\).*components\.dossier: missing/);
    expect((await call('GET', `/v1/tthc/procedures/${code}`)).statusCode).toBe(404);

    expect((await enter(btp, id, [{ kind: 'new', code, content: fullContent('Đăng ký khai sinh') }])).statusCode).toBe(200);
    expect((await check(btp, id)).json()).toEqual({ gaps: [], stage: 'checked' });
    const published = await publish(btp, id);
    expect(published.json().versions).toEqual([{ code, version: 1, kind: 'new' }]);
    expect(await clock(btp, id)).toMatchObject({ outcome: 'met', amount: 10, owner: 'BTP' });
    // The catalogue is public: no token needed.
    const procedure = await call('GET', `/v1/tthc/procedures/${code}`);
    expect(procedure.json()).toMatchObject({ procedure: { code, status: 'published', currentVersion: 1, agency: 'BTP' }, versions: [{ version: 1, decisionId: id }] });
    const search = (await call('GET', `/v1/tthc/procedures?agency=BTP&name=${encodeURIComponent('khai sinh')}&status=published`)).json();
    expect(search.items.map((p: { code: string }) => p.code)).toContain(code);
  });

  it('Decree 63 Art 24.1: a minister decision not published within 10 working days of signing breaches the agency clock', async () => {
    const id = await decision(btp);
    await env.sleep('20 days');
    expect(await clock(btp, id)).toMatchObject({ outcome: 'breached' });
    await enter(btp, id, [{ kind: 'new', code: tthcTestCode(), content: fullContent('Chứng thực chữ ký') }]);
    await check(btp, id);
    expect((await publish(btp, id)).statusCode).toBe(200);
    const late = await clock(btp, id);
    expect(late).toMatchObject({ outcome: 'breached' });
    expect(late?.completedAt).toBeDefined();
    const [row] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, tthcDecisionWorkflowId(id)), eq(slaClocks.clockKey, 'publish')));
    expect(row).toMatchObject({ owner: 'BTP', outcome: 'breached', process: 'tthc' });
  });

  it('Decree 63 Art 24.2: a decision for a law made by the shortened procedure must be published within 2 working days', async () => {
    const id = await decision(btp, { authorityKind: 'shortened-procedure' });
    expect(await clock(btp, id)).toMatchObject({ amount: 2, outcome: 'pending' });
    await env.sleep('7 days');
    expect(await clock(btp, id)).toMatchObject({ outcome: 'breached' });
  });

  it('Decree 63 Art 15: a decision issued less than 20 / 5 working days before the law takes effect is flagged late, and can still be published', async () => {
    const late = await decision(btp, { legalEffectiveOn: await localDate(10) });
    const onTime = await decision(btp, { legalEffectiveOn: await localDate(60) });
    const lateProvince = await decision(hanoi, { legalEffectiveOn: await localDate(3) });
    const flagged = (await call('GET', '/v1/tthc/decisions?lateIssue=true&agency=BTP&pageSize=500', vpcp)).json().items.map((d: { id: string }) => d.id);
    expect(flagged).toContain(late);
    expect(flagged).not.toContain(onTime);
    const view = (await call('GET', `/v1/tthc/decisions/${lateProvince}`, hanoi)).json();
    expect(view.issueTiming).toMatchObject({ applicable: true, late: true, requiredAmount: 5, requiredUnit: 'workingDays' });
    expect(view.issueTiming.detailVi).toMatch(/Ban hành chậm/);
    await enter(btp, late, [{ kind: 'new', code: tthcTestCode(), content: fullContent('Cấp giấy phép') }]);
    await check(btp, late);
    expect((await publish(btp, late)).statusCode).toBe(200);
  });

  it('Art 17.2, 18, 18.2, 19.1: a province localizes a central TTHC; the amendment flags it; the repeal cascades to it and notifies the province', async () => {
    const central = tthcTestCode();
    await publishAll(btp, [{ kind: 'new', code: central, content: fullContent('Cấp phiếu lý lịch tư pháp') }]);
    const localizing = await decision(hanoi);
    // Art 17.2: without the provincial act its local details rest on, the check finds the gap.
    await enter(hanoi, localizing, [{ kind: 'localized', centralCode: central, local: { place: 'Sở Tư pháp Hà Nội', fees: [] } }]);
    expect((await check(hanoi, localizing)).json().gaps).toEqual([expect.objectContaining({ component: 'local.legalBasis', problem: expect.stringMatching(/^missing/) })]);
    const localDetails = { place: 'Sở Tư pháp Hà Nội', fees: [], authorizedAgency: 'UBND cấp xã', legalBasis: provincialBasis() };
    await enter(hanoi, localizing, [{ kind: 'localized', centralCode: central, local: localDetails }]);
    expect((await check(hanoi, localizing)).json()).toEqual({ gaps: [], stage: 'checked' });
    expect((await publish(hanoi, localizing)).statusCode).toBe(200);
    const local = { id: localizing };
    expect(await clock(hanoi, local.id)).toMatchObject({ outcome: 'met', amount: 5, owner: 'UBND-HN' });
    const copyCode = localizedCode(central, 'UBND-HN');
    const copy = (await call('GET', `/v1/tthc/procedures/${encodeURIComponent(copyCode)}`)).json();
    expect(copy.procedure).toMatchObject({ localizesCode: central, agency: 'UBND-HN', status: 'published' });
    expect(copy.versions[0].components).toMatchObject({ place: 'Sở Tư pháp Hà Nội', fees: [] });
    expect(copy.versions[0].localization).toEqual({ authorizedAgency: 'UBND cấp xã', legalBasis: provincialBasis() });

    const amended = await publishAll(btp, [{ kind: 'amended', code: central, baseVersion: 1, content: fullContent('Cấp phiếu lý lịch tư pháp (sửa đổi)') }], { legalEffectiveOn: await localDate(90) });
    expect(amended.publication.flagged).toEqual([{ code: copyCode, centralCode: central, centralVersion: 2, province: 'UBND-HN' }]);
    const history = (await call('GET', `/v1/tthc/procedures/${central}`)).json();
    expect(history.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([[1, 'superseded'], [2, 'published']]);
    const then = (await call('GET', `/v1/tthc/procedures/${central}?at=${await localDate(75)}`)).json();
    expect(then.versions).toHaveLength(1);
    expect(then.versions[0]).toMatchObject({ version: 1, name: 'Cấp phiếu lý lịch tư pháp' });
    expect((await call('GET', `/v1/tthc/procedures/${central}?at=2000-01-01`)).statusCode).toBe(404);

    const repeal = await publishAll(btp, [{ kind: 'repealed', code: central }], { legalEffectiveOn: await localDate() });
    expect(repeal.publication.cascaded).toEqual([{ code: copyCode, centralCode: central, province: 'UBND-HN', version: 1 }]);
    expect((await call('GET', `/v1/tthc/procedures/${encodeURIComponent(copyCode)}`)).json().procedure.status).toBe('repealed');
    const sent = await eventually(
      () => database.db.select().from(notifications).where(eq(notifications.recipient, 'UBND-HN')),
      (rows) => rows.some((r) => r.template === 'tthc-cascade-repeal' && r.workflowId === tthcDecisionWorkflowId(repeal.id)),
    );
    expect(sent.filter((r) => r.template === 'tthc-central-amended' && r.workflowId === tthcDecisionWorkflowId(amended.id))).toHaveLength(1);
    expect(sent.find((r) => r.template === 'tthc-cascade-repeal' && r.workflowId === tthcDecisionWorkflowId(repeal.id))).toMatchObject({ channel: 'portal', subjectVi: `TTHC ${central} đã bị bãi bỏ` });
  });

  it('Art 16.5: a decision becomes public with its publication — number, signer, signing and effective dates, items — and each version links to the decision that made, amended or repealed it', async () => {
    const code = tthcTestCode();
    const signer = 'Bộ trưởng Nguyễn Văn A';
    const id = await decision(btp, { signer, legalEffectiveOn: await localDate(30) });
    await enter(btp, id, [{ kind: 'new', code, content: fullContent('Cấp giấy chứng nhận') }]);
    await check(btp, id);
    // Not public before publication: the draft is the agency's.
    expect((await call('GET', `/v1/tthc/published-decisions/${id}`)).statusCode).toBe(404);
    expect((await call('GET', `/v1/tthc/published-decisions?code=${code}`)).json()).toMatchObject({ items: [], total: 0 });
    expect((await publish(btp, id)).statusCode).toBe(200);

    const published = await call('GET', `/v1/tthc/published-decisions/${id}`);
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({
      id, agency: 'BTP', signer, authorityKind: 'minister', signedOn: await localDate(), effectiveOn: await localDate(30),
      items: [{ kind: 'new', code }], versions: [{ code, version: 1, kind: 'new' }],
    });
    const listed = (await call('GET', `/v1/tthc/published-decisions?agency=BTP&code=${code}`)).json();
    expect(listed.items.map((d: { id: string }) => d.id)).toEqual([id]);

    const amending = await publishAll(btp, [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Cấp giấy chứng nhận (sửa đổi)') }], { legalEffectiveOn: await localDate(45) });
    const repealing = await publishAll(btp, [{ kind: 'repealed', code }], { legalEffectiveOn: await localDate(60) });
    const { versions } = (await call('GET', `/v1/tthc/procedures/${code}`)).json();
    const link = (decisionId: string) => expect.objectContaining({ id: decisionId, href: `/v1/tthc/published-decisions/${decisionId}` });
    expect(versions[0]).toMatchObject({ version: 1, decision: link(id), closedBy: link(amending.id) });
    expect(versions[1]).toMatchObject({ version: 2, status: 'repealed', decision: link(amending.id), closedBy: link(repealing.id) });
    expect((await call('GET', versions[1].closedBy.href)).json()).toMatchObject({ items: [{ kind: 'repealed', code }], effectiveOn: await localDate(60) });

    // The effective date is a real date, not before signing.
    const refused = await call('POST', '/v1/tthc/decisions', btp, {
      agency: 'BTP', number: `${uniqueId('QĐ')}/QĐ-BTP`, title: 'Quyết định công bố', authorityKind: 'minister', signedOn: await localDate(), legalEffectiveOn: await localDate(-1),
    });
    expect(refused.statusCode).toBe(400);
    expect((await call('POST', '/v1/tthc/decisions', btp, {
      agency: 'BTP', number: `${uniqueId('QĐ')}/QĐ-BTP`, title: 'Quyết định công bố', authorityKind: 'minister', signedOn: await localDate(), legalEffectiveOn: '2027-02-30',
    })).statusCode).toBe(400);
  });

  it('Art 16.5, 19.1: "what did TTHC X say on date D" answers by the effective dates of the deciding acts, not by their publication', async () => {
    const code = tthcTestCode();
    await publishAll(btp, [{ kind: 'new', code, content: fullContent('Cấp lý lịch', { processingTime: '10 ngày' }) }], { legalEffectiveOn: await localDate() });
    // Published today, in force in 40 days: until then version 1 still applies.
    await publishAll(btp, [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Cấp lý lịch', { processingTime: '5 ngày' }) }], { legalEffectiveOn: await localDate(40) });
    await publishAll(btp, [{ kind: 'repealed', code }], { legalEffectiveOn: await localDate(80) });
    const at = async (days: number) => call('GET', `/v1/tthc/procedures/${code}?at=${await localDate(days)}`);
    expect((await at(15)).json().versions).toMatchObject([{ version: 1, components: { processingTime: '10 ngày' } }]);
    expect((await at(50)).json().versions).toMatchObject([{ version: 2, components: { processingTime: '5 ngày' } }]);
    const gone = await at(80);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().detail).toMatch(/was not in force/);
  });

  it('Art 28.1, 19: a repeal stops new dossiers for the TTHC\'s online services from its effective day, with the reason; until then the service stays live', async () => {
    const code = tthcTestCode();
    await publishAll(btp, [{ kind: 'new', code, content: fullContent('Cấp phiếu lý lịch tư pháp') }], { legalEffectiveOn: await localDate() });
    const service = uniqueId('DVC');
    const dvctt = (path: string, actor: Actor, body: object = {}) => call('POST', `/v1/dvctt/services${path}`, actor, body);
    expect((await dvctt('', btp, { code: service, name: 'Cấp phiếu LLTP trực tuyến', tthcCode: code, agency: 'BTP', level: 4 })).statusCode).toBe(201);
    expect((await dvctt(`/${service}/propose`, btp)).statusCode).toBe(200);
    expect((await dvctt(`/${service}/review`, vpcp, { decision: 'approve' })).statusCode).toBe(200);
    expect((await dvctt(`/${service}/test-report`, btp, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: ['H01-1'] })).statusCode).toBe(200);
    expect((await dvctt(`/${service}/confirm`, vpcp, { result: 'pass' })).json().status).toBe('live');
    const availability = async () => (await call('GET', `/v1/dvctt/services/${service}/availability`, vpcp)).json();

    const effectiveOn = await localDate(10);
    const repeal = await publishAll(btp, [{ kind: 'repealed', code }], { legalEffectiveOn: effectiveOn });
    // Published, not yet in force: the service still takes dossiers; no new service is declared for the TTHC.
    expect(await availability()).toMatchObject({ status: 'live', acceptsNewDossiers: true });
    const declared = await dvctt('', btp, { code: uniqueId('DVC'), name: 'Khác', tthcCode: code, agency: 'BTP', level: 4 });
    expect(declared.statusCode).toBe(422);
    expect(declared.json().detail).toMatch(/was repealed/);

    await env.sleep('11 days');
    const after = await eventually(availability, (a) => a.acceptsNewDossiers === false);
    expect(after).toMatchObject({ status: 'suspended', reason: expect.stringContaining(`TTHC ${code} was repealed by decision`) });
    const view = (await call('GET', `/v1/dvctt/services/${service}`, btp)).json();
    expect(view).toMatchObject({ status: 'suspended', allowedActions: [], tthcRepeal: { tthcCode: code, decisionId: repeal.id, effectiveOn } });
    const resumed = await dvctt(`/${service}/fix`, btp, { note: 'Đã sửa' });
    expect(resumed.statusCode).toBe(409);
    expect(resumed.json().detail).toMatch(/no longer provided/);
    await terminateWhenIdle(env.client.workflow.getHandle(`dvctt-${service}`));
  });

  it('Art 16.3–16.5 (issue 18.5): a decision entered over and over continues as new with its items, actions and clock; the projection holds exactly its items; it is checked and published on time', async () => {
    // Started as the API starts it, with a low history limit instead of waiting for Temporal's suggestion.
    const number = `${uniqueId('QĐ')}/QĐ-BTP`;
    const decisionId = decisionIdOf('BTP', number);
    const workflowId = tthcDecisionWorkflowId(decisionId);
    const handle = await env.client.workflow.start('tthcDecisionWorkflow', {
      taskQueue: config.TASK_QUEUE, workflowId,
      args: [{
        decisionId, number, title: 'Quyết định công bố thủ tục hành chính', agency: 'BTP', agencyKind: 'ministry',
        authorityKind: 'minister', signedOn: await localDate(), legalEffectiveOn: await localDate(60), createdBy: btp, maxHistoryEvents: 40,
      } satisfies TthcDecisionWorkflowInput],
    });
    const firstRun = handle.firstExecutionRunId;
    await eventually(() => call('GET', `/v1/tthc/decisions/${decisionId}`, btp), (r) => r.statusCode === 200 && r.json().issueTiming !== undefined);
    const [kept, removed, replaced] = [tthcTestCode(), tthcTestCode(), tthcTestCode()];
    expect((await enter(btp, decisionId, [{ kind: 'new', code: kept, content: fullContent('Cấp bản sao trích lục') }, { kind: 'new', code: removed, content: fullContent('Bỏ') }])).statusCode).toBe(200);
    // One item replaced twice and one removed: the first run continues as new on the way (40 events).
    const rounds = 2;
    for (let round = 1; round <= rounds; round++) {
      const res = await call('POST', `/v1/tthc/decisions/${decisionId}/items`, btp, { items: [{ kind: 'new', code: replaced, content: fullContent(`Cấp lại (lần ${round})`) }], remove: [removed] });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await handle.describe()).runId).not.toBe(firstRun);
    const view = (await call('GET', `/v1/tthc/decisions/${decisionId}`, btp)).json();
    expect(view.items.map((i: { code: string }) => i.code)).toEqual([kept, replaced]);
    expect(view.items[1].content.name).toBe(`Cấp lại (lần ${rounds})`);
    expect(view.actions.map((a: { action: string }) => a.action)).toEqual(['create', 'enter-items', 'enter-items', 'enter-items']);
    expect(view.clocks).toEqual([expect.objectContaining({ key: 'publish', outcome: 'pending', owner: 'BTP' })]);
    // The list's projection was sent only the changed items, and holds exactly the decision's items.
    const row = await findDecision(database.db, decisionId);
    expect(row?.items.map((i) => (i.kind === 'localized' ? i.centralCode : i.code))).toEqual([kept, replaced]);

    expect((await check(btp, decisionId)).json()).toEqual({ gaps: [], stage: 'checked' });
    const published = await publish(btp, decisionId);
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json().versions.map((v: { code: string }) => v.code).sort()).toEqual([kept, replaced].sort());
    expect(await clock(btp, decisionId)).toMatchObject({ outcome: 'met', owner: 'BTP' });
  });

  it('Art 16.3: a decision number is entered once for good — the same entry again is an idempotent replay (200), other details are refused (409), also after its case closed', async () => {
    const body = {
      agency: 'BTP', number: `${uniqueId('QĐ')}/QĐ-BTP`, title: 'Quyết định công bố thủ tục hành chính lĩnh vực chứng thực',
      authorityKind: 'minister', signedOn: await localDate(), legalEffectiveOn: await localDate(60),
    };
    const first = await call('POST', '/v1/tthc/decisions', btp, body);
    expect(first.statusCode, first.body).toBe(201);
    const { decisionId } = first.json() as { decisionId: string };
    await eventually(() => call('GET', `/v1/tthc/decisions/${decisionId}`, btp), (r) => r.statusCode === 200 && r.json().issueTiming !== undefined);
    expect((await call('POST', '/v1/tthc/decisions', btp, body)).statusCode).toBe(200);
    await enter(btp, decisionId, [{ kind: 'new', code: tthcTestCode(), content: fullContent('Chứng thực bản sao từ bản chính') }]);
    await check(btp, decisionId);
    expect((await publish(btp, decisionId)).statusCode).toBe(200);
    await eventually(() => env.client.workflow.getHandle(tthcDecisionWorkflowId(decisionId)).describe(), (d) => d.status.name === 'COMPLETED');

    const replay = await call('POST', '/v1/tthc/decisions', btp, body);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json()).toEqual({ decisionId, workflowId: tthcDecisionWorkflowId(decisionId) });
    const other = await call('POST', '/v1/tthc/decisions', btp, { ...body, title: 'Một quyết định khác cùng số' });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ type: 'urn:dvcqg:problem:already-exists' });
    const view = (await call('GET', `/v1/tthc/decisions/${decisionId}`, btp)).json();
    expect(view).toMatchObject({ title: body.title, stage: 'published' });
    expect(view.actions.map((a: { action: string }) => a.action)).toEqual(['create', 'enter-items', 'check', 'publish']);
  });

  it('one action at a time: entering items while the decision is being checked is refused as busy or runs after the check; a decision is "checked" only if nothing changed since', async () => {
    const id = await decision(btp);
    await enter(btp, id, [{ kind: 'new', code: tthcTestCode(), content: fullContent('Cấp giấy phép lao động') }]);
    expect((await check(btp, id)).json().stage).toBe('checked');
    const handle = env.client.workflow.getHandle(tthcDecisionWorkflowId(id));
    const settled = await Promise.allSettled([
      handle.executeUpdate(checkTthcDecisionUpdate, { args: [{ actor: btp }] }),
      handle.executeUpdate(addTthcItemsUpdate, { args: [{ actor: btp, items: [{ kind: 'new', code: tthcTestCode(), content: fullContent('Gia hạn giấy phép lao động') }] }] }),
    ]);
    for (const outcome of settled) {
      const refused = refusalOf(outcome);
      if (refused) expect(refused).toMatchObject({ type: 'Busy', message: expect.stringMatching(/busy with "(check the decision|enter items)"/) });
    }
    const accepted = (['check', 'enter-items'] as const).filter((_, i) => settled[i]?.status === 'fulfilled');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const state = await handle.query(tthcDecisionQuery);
    expect(state.items).toHaveLength(accepted.includes('enter-items') ? 2 : 1);
    expect(state.actions.slice(0, 3).map((a) => a.action)).toEqual(['create', 'enter-items', 'check']);
    expect(state.actions.slice(3).map((a) => a.action).sort()).toEqual([...accepted].sort());
    // "checked" means the last action was a check that found nothing: no item entered after it.
    expect(state.stage === 'checked').toBe(state.actions.at(-1)?.action === 'check');
  });

  it('authorization: another agency may not act on a decision (403) and nothing changes; a ministry may not localize', async () => {
    const id = await decision(btp);
    const foreign = await enter(byt, id, [{ kind: 'new', code: tthcTestCode(), content: fullContent('X') }]);
    expect(foreign.statusCode).toBe(403);
    expect((await publish(vpcp, id)).statusCode).toBe(403);
    expect((await call('POST', '/v1/tthc/decisions', byt, { agency: 'BTP', number: '1/QĐ-BTP', title: 'Quyết định', authorityKind: 'minister', signedOn: await localDate(), legalEffectiveOn: await localDate(30) })).statusCode).toBe(403);
    const localize = await enter(btp, id, [{ kind: 'localized', centralCode: tthcTestCode(), local: {} }]);
    expect(localize.statusCode).toBe(400);
    const view = (await call('GET', `/v1/tthc/decisions/${id}`, btp)).json();
    expect(view.items).toEqual([]);
    expect(view.actions.map((a: { action: string }) => a.action)).toEqual(['create']);
    expect((await call('GET', `/v1/tthc/decisions/${id}`, byt)).statusCode).toBe(403);
  });

  it('project rule (concurrency): of two decisions amending the same version published at once, one wins and the other is refused with 409 and must rebase', async () => {
    const code = tthcTestCode();
    await publishAll(btp, [{ kind: 'new', code, content: fullContent('Cấp giấy phép hành nghề') }]);
    const ids = [await decision(btp), await decision(btp)];
    for (const [i, id] of ids.entries()) {
      await enter(btp, id, [{ kind: 'amended', code, baseVersion: 1, content: fullContent(`Cấp giấy phép hành nghề (sửa đổi ${i})`) }]);
      expect((await check(btp, id)).json().stage).toBe('checked');
    }
    const results = await Promise.all(ids.map((id) => publish(btp, id)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const loser = ids[results.findIndex((r) => r.statusCode === 409)]!;
    expect(results.find((r) => r.statusCode === 409)?.json().detail).toMatch(/version 2 is current: rebase/);
    const view = (await call('GET', `/v1/tthc/decisions/${loser}`, btp)).json();
    expect(view.stage).toBe('entering');
    await enter(btp, loser, [{ kind: 'amended', code, baseVersion: 2, content: fullContent('Cấp giấy phép hành nghề (sửa đổi, rebased)') }]);
    await check(btp, loser);
    expect((await publish(btp, loser)).statusCode).toBe(200);
    const history = (await call('GET', `/v1/tthc/procedures/${code}`)).json();
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
  });

  describe('quality review (Art 24.2a)', () => {
    async function openReview(code: string): Promise<string> {
      const res = await call('POST', '/v1/tthc/reviews', vpcp, { code, findings: [{ criterion: 'accuracy', component: 'components.processingTime', detail: 'Thời hạn giải quyết không khớp quyết định công bố' }] });
      expect(res.statusCode, res.body).toBe(201);
      const { reviewId } = res.json() as { reviewId: string };
      await eventually(() => call('GET', `/v1/tthc/reviews/${reviewId}`), (r) => r.statusCode === 200 && r.json().rounds[0]?.dueAt !== undefined);
      return reviewId;
    }
    const reviewClock = async (reviewId: string, key: string) =>
      (await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, `tthc-review-${reviewId}`), eq(slaClocks.clockKey, key))))[0];

    it('Art 24.2a: VPCP returns a fix, the agency fixes again within 10 working days, VPCP accepts: the correction is a new version and the result is public', async () => {
      const code = tthcTestCode();
      await publishAll(btp, [{ kind: 'new', code, content: fullContent('Đăng ký kết hôn') }]);
      const reviewId = await openReview(code);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, byt, { note: 'đã sửa' })).statusCode).toBe(403);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/decision`, vpcp, { outcome: 'accept' })).statusCode).toBe(409);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, btp, { note: 'Đã rà soát' })).statusCode).toBe(200);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/decision`, vpcp, { outcome: 'return' })).statusCode).toBe(400);
      const returned = await call('POST', `/v1/tthc/reviews/${reviewId}/decision`, vpcp, { outcome: 'return', reason: 'Chưa sửa thời hạn' });
      expect(returned.json()).toMatchObject({ stage: 'awaiting-fix', rounds: [{ round: 1, decision: { outcome: 'returned' } }, { round: 2 }] });
      await env.sleep('3 days');
      const fixed = await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, btp, { note: 'Sửa thời hạn giải quyết', components: { processingTime: '3 ngày làm việc' } });
      expect(fixed.statusCode, fixed.body).toBe(200);
      const accepted = await call('POST', `/v1/tthc/reviews/${reviewId}/decision`, vpcp, { outcome: 'accept' });
      expect(accepted.json()).toMatchObject({ stage: 'accepted', correctedVersion: 2 });
      expect(await reviewClock(reviewId, 'fix#1')).toMatchObject({ outcome: 'met', owner: 'BTP', article: 'Art 24.2a' });
      expect(await reviewClock(reviewId, 'fix#2')).toMatchObject({ outcome: 'met' });
      const procedure = (await call('GET', `/v1/tthc/procedures/${code}`)).json();
      expect(procedure.versions[1]).toMatchObject({ version: 2, reviewId, status: 'published', components: expect.objectContaining({ processingTime: '3 ngày làm việc', result: 'Giấy chứng nhận' }) });
      const results = await eventually(() => call('GET', `/v1/tthc/reviews?code=${code}`), (r) => r.json().items[0]?.stage === 'accepted');
      expect(results.json().items[0]).toMatchObject({ id: reviewId, agency: 'BTP', closedAt: expect.any(String) });
    });

    it('Art 24.2a: a fix sent before the first round has opened is refused (not a failed workflow task), and accepted once it has', async () => {
      const code = tthcTestCode();
      await publishAll(btp, [{ kind: 'new', code, content: fullContent('Đăng ký nhận cha, mẹ, con') }]);
      const reviewId = randomUUID();
      const input: StartTthcReviewInput = { reviewId, code, version: 1, agency: 'BTP', findings: [{ criterion: 'completeness', component: 'components.dossier', detail: 'Thiếu mẫu tờ khai' }], openedBy: vpcp };
      // No worker on this queue yet: the fix reaches the workflow with its very first task.
      const taskQueue = uniqueId('tthc-review-early');
      const handle = await env.client.workflow.start('tthcReviewWorkflow', { taskQueue, workflowId: tthcReviewWorkflowId(reviewId), args: [input] });
      const early = handle.executeUpdate(submitTthcFixUpdate, { args: [{ actor: btp, note: 'Đã bổ sung mẫu tờ khai' }] }).then(() => undefined, (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const late = await Worker.create({
        connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(),
        activities: createActivities({ db: database.db, logger: testLogger() }),
      });
      await late.runUntil(async () => {
        const err = await early;
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'InvalidTransition', message: expect.stringMatching(/no round of the review is open yet/) });
        await eventually(() => handle.query(tthcReviewQuery), (s) => s.rounds[0]?.dueAt !== undefined);
        const fixed = await handle.executeUpdate(submitTthcFixUpdate, { args: [{ actor: btp, note: 'Đã bổ sung mẫu tờ khai' }] });
        expect(fixed).toMatchObject({ stage: 'fix-submitted', rounds: [{ round: 1, fix: { by: 'BTP' } }] });
        await terminateWhenIdle(handle);
      });
    });

    it('Art 24.2a, 18.2: a correction accepted on a central TTHC notifies the provinces that localized it', async () => {
      const central = tthcTestCode();
      await publishAll(btp, [{ kind: 'new', code: central, content: fullContent('Cấp phiếu lý lịch tư pháp số 2') }]);
      await publishAll(hanoi, [{ kind: 'localized', centralCode: central, local: { place: 'Sở Tư pháp Hà Nội', legalBasis: provincialBasis() } }]);
      const reviewId = await openReview(central);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, btp, { note: 'Sửa thời hạn', components: { processingTime: '3 ngày làm việc' } })).statusCode).toBe(200);
      const accepted = await call('POST', `/v1/tthc/reviews/${reviewId}/decision`, vpcp, { outcome: 'accept' });
      expect(accepted.json()).toMatchObject({ stage: 'accepted', correctedVersion: 2 });
      const copyCode = localizedCode(central, 'UBND-HN');
      expect((await call('GET', `/v1/tthc/procedures/${encodeURIComponent(copyCode)}`)).json().procedure).toMatchObject({ centralAmendedVersion: 2 });
      const [notice] = await database.db.select().from(notifications)
        .where(and(eq(notifications.workflowId, tthcReviewWorkflowId(reviewId)), eq(notifications.template, 'tthc-central-amended')));
      expect(notice).toMatchObject({ recipient: 'UBND-HN', channel: 'portal', subjectVi: `TTHC ${central} đã được sửa đổi, bổ sung` });
      expect(notice?.bodyVi).toContain(`phiên bản 2`);
      expect(notice?.bodyVi).toContain(copyCode);
    });

    it('one action at a time: VPCP accepting and returning the same fix at once — one is refused, and the catalogue matches the outcome', async () => {
      const code = tthcTestCode();
      await publishAll(btp, [{ kind: 'new', code, content: fullContent('Đăng ký lại khai sinh') }]);
      const reviewId = await openReview(code);
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, btp, { note: 'Sửa thời hạn', components: { processingTime: '4 ngày làm việc' } })).statusCode).toBe(200);
      const handle = env.client.workflow.getHandle(tthcReviewWorkflowId(reviewId));
      const settled = await Promise.allSettled([
        handle.executeUpdate(decideTthcFixUpdate, { args: [{ actor: vpcp, outcome: 'accept' }] }),
        handle.executeUpdate(decideTthcFixUpdate, { args: [{ actor: vpcp, outcome: 'return', reason: 'Chưa đủ căn cứ pháp lý' }] }),
      ]);
      expect(settled.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = settled.map(refusalOf).find((r) => r !== undefined);
      // Busy while the other ran, or (if it had finished) no longer awaiting a decision.
      expect(refused).toMatchObject(refused?.type === 'Busy'
        ? { message: expect.stringMatching(/busy with "decide on the fix"/) }
        : { type: 'InvalidTransition', message: expect.stringMatching(/the review is (accepted|awaiting-fix)/) });
      const state = await handle.query(tthcReviewQuery);
      const version = (await call('GET', `/v1/tthc/procedures/${code}`)).json().procedure.currentVersion;
      if (settled[0]?.status === 'fulfilled') {
        expect(state).toMatchObject({ stage: 'accepted', correctedVersion: 2 });
        expect(state.rounds).toHaveLength(1);
        expect(version).toBe(2);
      } else {
        expect(state.stage).toBe('awaiting-fix');
        expect(state.rounds.map((r) => r.decision?.outcome)).toEqual(['returned', undefined]);
        expect(version).toBe(1);
      }
    });

    it('Art 24.2a: a finding not fixed within 10 working days breaches the agency clock', async () => {
      const code = tthcTestCode();
      await publishAll(btp, [{ kind: 'new', code, content: fullContent('Đăng ký giám hộ') }]);
      const reviewId = await openReview(code);
      await env.sleep('20 days');
      const breached = await eventually(() => reviewClock(reviewId, 'fix#1'), (row) => row?.outcome === 'breached');
      expect(breached).toMatchObject({ owner: 'BTP', ownerKind: 'agency', process: 'tthc-review' });
      expect((await call('POST', `/v1/tthc/reviews/${reviewId}/fix`, btp, { note: 'Sửa muộn' })).statusCode).toBe(200);
      expect(await reviewClock(reviewId, 'fix#1')).toMatchObject({ outcome: 'breached', completedBy: 'BTP' });
    });
  });
});
