import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { ruleSetForNewCase } from '../../api/routes/rule-sets/pin.js';
import type { DatabaseHandle } from '../../db/client.js';
import { RULES_2020, RULES_2025_DRAFT } from '../../domain/rules/index.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

// New versions created here come into force in 2099 only: every other test's cases keep resolving the baseline.
describe('rule-sets API', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };
  const officer: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const as = (actor: Actor) => bearer(config, actor).then((authorization) => ({ authorization }));
  const newId = () => uniqueId('rs').toLowerCase().replace(/[^a-z0-9.-]/g, '-');

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const get = async (url: string, actor: Actor = officer) => app.inject({ method: 'GET', url, headers: await as(actor) });
  const create = async (body: Record<string, unknown>, actor: Actor = vpcp) =>
    app.inject({ method: 'POST', url: '/v1/rule-sets', headers: { ...(await as(actor)), 'idempotency-key': uniqueId('key') }, payload: body });
  const version = (over: Record<string, unknown> = {}) => ({
    id: newId(), basedOn: RULES_2025_DRAFT.id, title: 'Quy chế 2025 (ban hành)', titleVi: 'Quy chế quản lý, vận hành, khai thác Cổng DVCQG (ban hành)',
    legalSource: 'Quyết định …/2099/QĐ-TTg (test)', inForceFrom: '2099-01-01', reason: 'the replacement Regulation was signed',
    periods: { 'feedback.classify': { amount: 3, note: 'test: a shorter classification period' } }, ...over,
  });

  it('SPEC §5: the built-in rule sets are seeded: the 2020 draft baseline (in force) and the 2025 submission (not in force)', async () => {
    const res = await get('/v1/rule-sets');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.inForceToday).toBe(RULES_2020.id);
    const byId = Object.fromEntries(body.items.map((s: { id: string }) => [s.id, s]));
    expect(byId[RULES_2020.id]).toMatchObject({ inForceFrom: RULES_2020.inForceFrom, basedOn: null });
    expect(byId[RULES_2025_DRAFT.id]).toMatchObject({ inForceFrom: null, basedOn: RULES_2020.id });
  });

  it('Art 42.3 → Art 44.3 (2025): renumbered articles with their periods inherited and marked, and the changed value sets (toàn trình / một phần, no district level)', async () => {
    const body = (await get(`/v1/rule-sets/${RULES_2025_DRAFT.id}`)).json();
    expect(body.periods['feedback.classify']).toMatchObject({ amount: 5, unit: 'workingDays', article: 'Art 44.3', inheritedFrom: RULES_2020.id, note: expect.stringContaining('by position') });
    expect(body.periods['payment.settlement']).toMatchObject({ amount: 1, unit: 'settlementDay', article: 'Art 35.4a', inheritedFrom: RULES_2020.id });
    expect(body.periods['operations.securityServerNotice']).toMatchObject({ amount: 3, article: 'Art 51.2' });
    expect(body.values.onlineServiceClasses.values.map((v: { code: string }) => v.code)).toEqual(['full', 'partial']);
    expect(body.values.onlineServiceClasses.inheritedFrom).toBeUndefined();
    expect(body.values.tthcLevels.values.map((v: { code: string }) => v.code)).toEqual(['central', 'provincial', 'commune']);
    expect(body.values.feedbackCategories).toMatchObject({ article: 'Art 39', inheritedFrom: RULES_2020.id });
    const baseline = (await get(`/v1/rule-sets/${RULES_2020.id}`)).json();
    expect(baseline.periods['feedback.classify']).toEqual({ amount: 5, unit: 'workingDays', article: 'Art 42.3' });
  });

  it('SPEC §5: VPCP creates a new version (validated, the rest inherited and marked); an agency officer cannot', async () => {
    const forbidden = await create(version(), officer);
    expect(forbidden.statusCode).toBe(403);
    const body = version();
    const res = await create(body);
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ id: body.id, basedOn: RULES_2025_DRAFT.id, inForceFrom: '2099-01-01', createdBy: vpcp.userId });
    // Its own period: no inheritance mark; the others keep the 2025 numbering, inherited from the 2020 baseline.
    expect(created.periods['feedback.classify']).toEqual({ amount: 3, unit: 'workingDays', article: 'Art 44.3', note: 'test: a shorter classification period' });
    expect(created.periods['feedback.answer']).toMatchObject({ amount: 20, article: 'Art 46.1', inheritedFrom: RULES_2020.id });
    // Never edited in place: the same id again is a conflict.
    expect((await create({ ...body })).statusCode).toBe(409);
  });

  it('Project rule: a version is validated and never back-dated', async () => {
    const backDated = await create(version({ inForceFrom: '2020-01-01' }));
    expect(backDated.statusCode).toBe(422);
    expect(backDated.json().detail).toMatch(/never back-dated/);
    const endBeforeStart = await create(version({ inForceTo: '2098-12-31' }));
    expect(endBeforeStart.statusCode).toBe(400);
    expect(endBeforeStart.json().errors).toEqual([{ path: 'body.inForceTo', message: 'must be after inForceFrom' }]);
    expect((await create(version({ periods: { 'feedback.classify': { amount: 0 } } }))).statusCode).toBe(400);
    expect((await create(version({ basedOn: 'no-such-set' }))).statusCode).toBe(422);
  });

  it('SPEC §5: a case starts under the set in force on its day; cases started before keep theirs once a newer one comes into force', async () => {
    const later = version({ inForceFrom: '2099-06-01' });
    expect((await create(later)).statusCode).toBe(201);
    const startedToday = await ruleSetForNewCase(database.db, 'feedback');
    expect(startedToday.id).toBe(RULES_2020.id);
    expect(startedToday.periods['feedback.classify']).toEqual(RULES_2020.periods['feedback.classify']);
    const startedThen = await ruleSetForNewCase(database.db, 'feedback', undefined, new Date('2099-06-01T08:00:00+07:00'));
    expect(startedThen.id).toBe(later.id);
    expect(startedThen.periods['feedback.classify']).toMatchObject({ amount: 3, article: 'Art 44.3' });
    // Only the process's own periods are pinned in its start input.
    expect(Object.keys(startedThen.periods).every((id) => id.startsWith('feedback.'))).toBe(true);
    expect((await get('/v1/rule-sets/in-force?on=2099-06-02')).json().id).toBe(later.id);
    expect((await get('/v1/rule-sets/in-force?on=2099-05-31')).json().id).not.toBe(later.id);
  });
});
