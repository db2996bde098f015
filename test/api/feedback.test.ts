import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import type { DatabaseHandle } from '../../db/client.js';
import { feedbackItems, feedbackRefusals, tthcProcedures } from '../../db/schema/index.js';
import { insertClock } from '../support/sla-clocks.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

/** Intake validation and authorization: everything here is refused before a workflow starts (no worker runs). */
describe('feedback intake: validation and authorization', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };
  const body = (overrides: Record<string, unknown> = {}) => ({
    sender: { name: 'Trần Thị Bình', address: '5 Lê Lợi, Huế', phone: '0987654321', email: 'binh@example.vn', portalAccountId: 'acc-777' },
    content: 'Thủ tục đăng ký hộ kinh doanh yêu cầu giấy tờ không có trong quy định.',
    agency: 'UBND-HUE',
    category: 'tthc-burden',
    channel: 'portal',
    ...overrides,
  });
  async function post(actor: Actor | undefined, payload: unknown, key: string | null = uniqueId('key')) {
    return app.inject({
      method: 'POST', url: '/v1/feedback',
      headers: { 'content-type': 'application/json', ...(actor ? { authorization: await bearer(config, actor) } : {}), ...(key ? { 'idempotency-key': key } : {}) },
      payload: JSON.stringify(payload),
    });
  }
  const itemsFor = (agency: string) => database.db.select({ id: feedbackItems.itemId }).from(feedbackItems).where(eq(feedbackItems.receivingAgency, agency));

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    // None of these requests created an item.
    expect(await itemsFor('UBND-HUE')).toEqual([]);
    await app?.close();
    await database?.close();
  });

  it('no token → 401; a role that may not submit → 403', async () => {
    expect((await post(undefined, body())).statusCode).toBe(401);
    const res = await post(auditor, body());
    expect(res.statusCode).toBe(403);
    expect(res.json().type).toBe('urn:dvcqg:problem:wrong-role');
  });

  it('Art 42.2b: an officer types in items for their own agency only → 403 for another agency', async () => {
    const res = await post(btp, body({ channel: 'paper', sender: { ...body().sender, portalAccountId: undefined } }));
    expect(res.statusCode).toBe(403);
    expect(res.json().type).toBe('urn:dvcqg:problem:wrong-scope');
  });

  it('a submission needs an Idempotency-Key, valid fields, and (Art 39.3) a Portal account on the Portal channel', async () => {
    expect((await post(portal, body(), null)).statusCode).toBe(400);
    const invalid = await post(portal, body({ sender: { ...body().sender, email: 'not-an-email' }, category: 'gossip' }));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['body.sender.email', 'body.category']));
    const noAccount = await post(portal, body({ sender: { ...body().sender, portalAccountId: undefined }, channel: 'paper' }));
    expect(noAccount.statusCode).toBe(422);
    expect(noAccount.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.channel', 'body.sender.portalAccountId']);
  });

  it('Art 39.3: a Portal submission needs the sender\'s phone and e-mail → 422 naming both', async () => {
    const res = await post(portal, body({ sender: { name: 'Trần Thị Bình', address: '5 Lê Lợi, Huế', portalAccountId: 'acc-777' } }));
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.sender.phone', 'body.sender.email']);
    expect(res.json().errors[0].message).toContain('Art 39.3');
  });

  it('Art 25.3: an agency reports on another agency\'s TTHC data only — of a TTHC-data category, and never on its own TTHCs → 422', async () => {
    const byt: Actor = { userId: uniqueId('byt-officer'), role: 'agency', agency: 'BYT' };
    const own = `T25.${uniqueId('c').slice(-8)}`;
    await database.db.insert(tthcProcedures).values({
      code: own, agency: 'BYT', currentVersion: 1, status: 'published', name: 'Cấp chứng chỉ hành nghề', field: 'Khám bệnh, chữa bệnh', level: 'central',
      implementingAgency: 'Cục Quản lý Khám, chữa bệnh', updatedAt: new Date(),
    });
    const report = (overrides: Record<string, unknown>) => body({ sender: { name: 'Vụ Pháp chế, Bộ Y tế', address: '138A Giảng Võ, Hà Nội' }, channel: 'agency-report', category: 'tthc-not-published', ...overrides });
    const burden = await post(byt, report({ category: 'tthc-burden' }));
    expect(burden.statusCode).toBe(422);
    expect(burden.json().errors).toEqual([{ path: 'body.category', message: expect.stringContaining('Art 25.3') }]);
    const ownTthc = await post(byt, report({ tthcCode: own }));
    expect(ownTthc.statusCode).toBe(422);
    expect(ownTthc.json().errors).toEqual([{ path: 'body.agency', message: expect.stringContaining('Art 25.3') }]);
    // The Portal does not file agency reports.
    expect((await post(portal, report({ sender: body().sender }))).statusCode).toBe(422);
  });

  it('the target agency must exist → 422', async () => {
    const res = await post(portal, body({ agency: 'NO-SUCH' }));
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ path: 'body.agency', message: 'unknown agency code' }]);
  });

  it('Art 44.3: state-secret feedback is refused with that reason; only the refusal is recorded, never the content', async () => {
    const key = uniqueId('secret');
    const res = await post(portal, body({ stateSecret: true, content: 'Nội dung có yếu tố bí mật nhà nước — không được lưu.' }), key);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('Điều 44.3');
    const rows = await database.db.select().from(feedbackRefusals).where(eq(feedbackRefusals.submittedByUser, portal.userId));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({ article: 'Art 44.3', targetAgency: 'UBND-HUE', channel: 'portal' });
    expect(JSON.stringify(rows)).not.toContain('bí mật nhà nước — không được lưu');
    expect(JSON.stringify(rows)).not.toContain('binh@example.vn');
  });

  it('the published answers are public: no token needed', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/feedback/published?pageSize=5' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: expect.any(Number), items: expect.any(Array) });
  });

  it('the item list is for agencies and supervisors, not the public', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/feedback' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/v1/feedback', headers: { authorization: await bearer(config, portal) } });
    expect(res.statusCode).toBe(403);
  });
});

describe('feedback list: the breach flag of each item (GET /v1/feedback)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: 'vpcp-supervisor', role: 'vpcp', agency: 'VPCP' };
  const agency = `T-${uniqueId('f').slice(-10).toUpperCase()}`;
  const late = `feedback-${agency}-late`;
  const waiting = `feedback-${agency}-waiting`;
  const onTime = `feedback-${agency}-on-time`;

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
    const item = (workflowId: string, receivedAt: string) => ({
      itemId: workflowId, workflowId, receivingAgency: agency, agency, involvedAgencies: [agency], status: 'processing', category: 'tthc-burden',
      channel: 'portal', senderName: 'Trần Thị Bình', senderAddress: 'Huế', senderPhone: '0987654321', senderEmail: 'binh@example.vn',
      content: 'Thủ tục quá nhiều giấy tờ', round: 1, receivedAt: new Date(receivedAt), roundStartedAt: new Date(receivedAt), revision: 1,
    });
    await database.db.insert(feedbackItems).values([
      item(late, '2026-11-01T02:00:00Z'), item(waiting, '2026-11-02T02:00:00Z'), item(onTime, '2026-11-02T16:59:59.999Z'),
    ]);
    const due = '2026-11-06T16:59:59.999Z';
    await insertClock(database.db, { workflowId: late, process: 'feedback', caseAgency: agency, key: 'classify#1', article: 'Art 42.3', owner: agency, ownerKind: 'agency', outcome: 'breached', dueAt: due, breachedAt: due });
    await insertClock(database.db, { workflowId: waiting, process: 'feedback', caseAgency: agency, key: 'supplement#1', article: 'project rule (Art 42.3b)', owner: 'acc-1', ownerKind: 'citizen', outcome: 'breached', dueAt: due, breachedAt: due });
    await insertClock(database.db, { workflowId: onTime, process: 'feedback', caseAgency: agency, key: 'classify#1', article: 'Art 42.3', owner: agency, ownerKind: 'agency', outcome: 'met', dueAt: due, completedAt: '2026-11-03T02:00:00Z' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('Art 42.3: only the item whose own clock breached is flagged — not every item once any clock anywhere breached, not a citizen wait', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/feedback/?pageSize=50&agency=${agency}`, headers: { authorization: await bearer(config, vpcp) } });
    expect(res.statusCode).toBe(200);
    const flags = Object.fromEntries(res.json().items.map((i: { itemId: string; slaBreached: boolean; breachOwners: string[] }) => [i.itemId, [i.slaBreached, i.breachOwners]]));
    expect(flags).toEqual({ [late]: [true, [agency]], [waiting]: [false, []], [onTime]: [false, []] });
  });

  it('the list takes plain dates as its receipt range, the last day included', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/feedback/?agency=${agency}&from=2026-11-02&to=2026-11-02`, headers: { authorization: await bearer(config, vpcp) } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { itemId: string }) => i.itemId)).toEqual([onTime, waiting]);
  });
});
