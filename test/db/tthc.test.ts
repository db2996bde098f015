import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { findDecision, findProcedure, procedureVersionAt, procedureVersions, publishDecision, reconcileItems, TthcConflictError, upsertDecision, type DecisionProjection } from '../../db/queries/tthc.js';
import { declareService, findService, recordTthcRepeal } from '../../db/queries/dvctt.js';
import { tthcProcedures } from '../../db/schema/index.js';
import type { DecisionItem } from '../../workflows/tthc.definitions.js';
import { localizedCode } from '../../workflows/tthc.rules.js';
import { fullContent, provincialBasis, tthcTestCode } from '../fixtures/tthc-content.js';
import { testDatabase, uniqueId } from '../support/env.js';

describe('TTHC catalogue: atomic publication, version history, cascade, concurrency', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  const publish = (agency: string, items: DecisionItem[], agencyKind: 'ministry' | 'province' = 'ministry', decisionId = uniqueId('dec'), dates: { signedOn?: string; effectiveOn?: string } = {}) =>
    publishDecision(database.db, { decisionId, workflowId: `wf-${decisionId}`, agency, agencyKind, items, ...dates });
  /** A local instant in Viet Nam (UTC+7). */
  const local = (date: string, time = '12:00') => new Date(`${date}T${time}:00+07:00`);

  it('Art 16.5: a decision publishes all of its items or none of them', async () => {
    const existing = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: existing, content: fullContent('Đăng ký khai sinh') }]);
    const fresh = tthcTestCode();
    const bad = publish('BTP', [
      { kind: 'new', code: fresh, content: fullContent('Đăng ký kết hôn') },
      { kind: 'amended', code: existing, baseVersion: 7, content: fullContent('Đăng ký khai sinh (sửa đổi)') },
    ]);
    await expect(bad).rejects.toBeInstanceOf(TthcConflictError);
    await expect(bad).rejects.toThrow(/version 1 is current/);
    expect(await findProcedure(database.db, fresh)).toBeUndefined();
    expect((await findProcedure(database.db, existing))?.currentVersion).toBe(1);
  });

  it('Art 16.4: the check lists every missing component and catalogue mismatch', async () => {
    const code = tthcTestCode();
    const gaps = await reconcileItems(database.db, {
      agency: 'BTP', agencyKind: 'ministry',
      items: [
        { kind: 'new', code, content: { name: 'Thiếu thành phần', components: { steps: ['Nộp'] } } },
        { kind: 'repealed', code: tthcTestCode() },
        { kind: 'localized', centralCode: tthcTestCode(), local: {} },
      ],
    });
    const of = (component: string) => gaps.filter((g) => g.component === component).map((g) => g.code);
    expect(of('components.dossier')).toEqual([code]);
    expect(of('components.fees')).toEqual([code]);
    expect(of('field')).toEqual([code]);
    expect(of('components.steps')).toEqual([]);
    expect(gaps.some((g) => g.problem === 'no published TTHC with this code')).toBe(true);
    expect(gaps.some((g) => g.component === 'kind' && g.problem.includes('ministry may not list localized'))).toBe(true);
  });

  it('Art 18: an amendment supersedes the previous version; the history answers "what did it say at instant D"', async () => {
    const code = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code, content: fullContent('Chứng thực bản sao', { processingTime: '2 ngày làm việc' }) }]);
    const between = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await publish('BTP', [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Chứng thực bản sao', { processingTime: '1 ngày làm việc' }) }]);
    const history = await procedureVersions(database.db, code);
    expect(history.map((v) => [v.version, v.status])).toEqual([[1, 'superseded'], [2, 'published']]);
    expect(history[0]?.validTo?.getTime()).toBe(history[1]?.validFrom.getTime());
    expect((await procedureVersionAt(database.db, code, between))?.components.processingTime).toBe('2 ngày làm việc');
    expect((await procedureVersionAt(database.db, code, new Date()))?.components.processingTime).toBe('1 ngày làm việc');
    expect(await procedureVersionAt(database.db, code, new Date(Date.now() - 86_400_000))).toBeUndefined();
  });

  it('Art 19.1: a ministry repeal repeals every province copy in the same transaction, exactly once on retry', async () => {
    const central = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: central, content: fullContent('Cấp phiếu lý lịch tư pháp') }]);
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', processingTime: '7 ngày', legalBasis: provincialBasis() } }], 'province');
    await publish('UBND-HCM', [{ kind: 'localized', centralCode: central, local: { place: 'TP HCM', legalBasis: provincialBasis() } }], 'province');
    const copy = await procedureVersions(database.db, localizedCode(central, 'UBND-HN'));
    expect(copy[0]).toMatchObject({ status: 'published', centralVersion: 1, components: expect.objectContaining({ place: 'Hà Nội', processingTime: '7 ngày', dossier: [{ name: 'Tờ khai', copies: 1 }] }) });

    const decisionId = uniqueId('repeal');
    const first = await publish('BTP', [{ kind: 'repealed', code: central }], 'ministry', decisionId);
    expect(first.cascaded.map((c) => c.province).sort()).toEqual(['UBND-HCM', 'UBND-HN']);
    const retried = await publish('BTP', [{ kind: 'repealed', code: central }], 'ministry', decisionId);
    expect(retried).toEqual(first);
    const copies = await database.db.select().from(tthcProcedures).where(eq(tthcProcedures.localizesCode, central));
    expect(copies.map((c) => c.status)).toEqual(['repealed', 'repealed']);
    const hn = await procedureVersions(database.db, localizedCode(central, 'UBND-HN'));
    expect(hn).toHaveLength(1);
    expect(hn[0]).toMatchObject({ status: 'repealed', closedByDecisionId: decisionId });
  });

  it('Art 18.2: amending a central TTHC flags the provinces that localized it', async () => {
    const central = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: central, content: fullContent('Đăng ký nuôi con nuôi') }]);
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', legalBasis: provincialBasis() } }], 'province');
    const amended = await publish('BTP', [{ kind: 'amended', code: central, baseVersion: 1, content: fullContent('Đăng ký nuôi con nuôi (sửa đổi)') }]);
    expect(amended.flagged).toEqual([{ code: localizedCode(central, 'UBND-HN'), centralCode: central, centralVersion: 2, province: 'UBND-HN' }]);
    expect((await findProcedure(database.db, localizedCode(central, 'UBND-HN')))?.centralAmendedVersion).toBe(2);
    // Re-localizing on the amended central version clears the flag.
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', legalBasis: provincialBasis() } }], 'province');
    const copy = await findProcedure(database.db, localizedCode(central, 'UBND-HN'));
    expect(copy).toMatchObject({ currentVersion: 2, centralAmendedVersion: null, name: 'Đăng ký nuôi con nuôi (sửa đổi)' });
  });

  it('Art 16.5, 19.1: what a TTHC said on date D follows the effective dates of its decisions, not the day they were published', async () => {
    const code = tthcTestCode();
    const first = uniqueId('dec');
    await publish('BTP', [{ kind: 'new', code, content: fullContent('Cấp bản sao trích lục', { processingTime: '3 ngày làm việc' }) }], 'ministry', first, { signedOn: '2025-12-01', effectiveOn: '2026-01-01' });
    // Published today, in force from 1 Feb 2027: on 15 Dec 2026 the first version still applies.
    const amending = uniqueId('dec');
    await publish('BTP', [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Cấp bản sao trích lục', { processingTime: '1 ngày làm việc' }) }], 'ministry', amending, { signedOn: '2026-11-30', effectiveOn: '2027-02-01' });
    const at = async (instant: Date) => (await procedureVersionAt(database.db, code, instant))?.version;
    expect(await at(local('2025-12-31'))).toBeUndefined();
    expect(await at(local('2026-01-01', '00:00'))).toBe(1);
    expect(await at(local('2026-12-15'))).toBe(1);
    expect(await at(local('2027-01-31', '23:59'))).toBe(1);
    expect(await at(local('2027-02-01', '00:00'))).toBe(2);
    // The catalogue already shows version 2 as current (published), in force from its effective day.
    expect(await findProcedure(database.db, code)).toMatchObject({ currentVersion: 2, status: 'published' });
    const [v1, v2] = await procedureVersions(database.db, code);
    expect(v1).toMatchObject({ status: 'superseded', closedByDecisionId: amending, effectiveFrom: local('2026-01-01', '00:00'), effectiveTo: local('2027-02-01', '00:00') });
    expect(v2).toMatchObject({ status: 'published', decisionId: amending, effectiveFrom: local('2027-02-01', '00:00'), effectiveTo: null });

    // A repeal published now counts from its own effective day, 1 Mar 2027.
    const repealing = uniqueId('dec');
    await publish('BTP', [{ kind: 'repealed', code }], 'ministry', repealing, { signedOn: '2026-11-30', effectiveOn: '2027-03-01' });
    expect((await findProcedure(database.db, code))?.status).toBe('repealed');
    expect(await at(local('2027-02-15'))).toBe(2);
    expect(await at(local('2027-03-01', '00:00'))).toBeUndefined();
    expect(await at(local('2026-12-15'))).toBe(1);
  });

  it('Art 16.5, 19.1: a later act in force earlier cuts every earlier version — the in-force periods never overlap', async () => {
    const code = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code, content: fullContent('Cấp chứng chỉ', { processingTime: 'A' }) }], 'ministry', uniqueId('dec'), { signedOn: '2025-01-02', effectiveOn: '2025-03-01' });
    await publish('BTP', [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Cấp chứng chỉ', { processingTime: 'B' }) }], 'ministry', uniqueId('dec'), { signedOn: '2026-11-30', effectiveOn: '2027-06-01' });
    // Version 3 amends version 2 before it took effect, from an earlier day: version 2 is never in force.
    await publish('BTP', [{ kind: 'amended', code, baseVersion: 2, content: fullContent('Cấp chứng chỉ', { processingTime: 'C' }) }], 'ministry', uniqueId('dec'), { signedOn: '2026-11-30', effectiveOn: '2027-01-01' });
    const said = async (date: string) => (await procedureVersionAt(database.db, code, local(date)))?.components.processingTime;
    expect(await said('2026-12-31')).toBe('A');
    expect(await said('2027-01-01')).toBe('C');
    expect(await said('2027-07-01')).toBe('C');
  });

  it('Art 19.1: the province copies repealed with a central TTHC stay in force until the repeal takes effect', async () => {
    const central = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: central, content: fullContent('Cấp thẻ') }], 'ministry', uniqueId('dec'), { signedOn: '2026-01-02', effectiveOn: '2026-03-01' });
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', legalBasis: provincialBasis() } }], 'province', uniqueId('dec'), { signedOn: '2026-02-01', effectiveOn: '2026-03-01' });
    const repealing = uniqueId('dec');
    const { cascaded } = await publish('BTP', [{ kind: 'repealed', code: central }], 'ministry', repealing, { signedOn: '2026-11-30', effectiveOn: '2027-01-01' });
    expect(cascaded.map((c) => c.code)).toEqual([localizedCode(central, 'UBND-HN')]);
    const copy = localizedCode(central, 'UBND-HN');
    expect((await procedureVersionAt(database.db, copy, local('2026-12-31')))?.version).toBe(1);
    expect(await procedureVersionAt(database.db, copy, local('2027-01-01'))).toBeUndefined();
    expect((await procedureVersions(database.db, copy))[0]).toMatchObject({ status: 'repealed', closedByDecisionId: repealing, effectiveTo: local('2027-01-01', '00:00') });
  });

  it('Art 17.2: a localization names its provincial legal basis (number, date not after signing) and the authorized agency, recorded with the version', async () => {
    const central = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: central, content: fullContent('Đăng ký hộ kinh doanh') }]);
    const copy = localizedCode(central, 'UBND-HN');
    const gapsOf = async (local: Extract<DecisionItem, { kind: 'localized' }>['local']) =>
      (await reconcileItems(database.db, { agency: 'UBND-HN', agencyKind: 'province', signedOn: '2026-11-30', items: [{ kind: 'localized', centralCode: central, local }] }))
        .filter((g) => g.component.startsWith('local.'));
    expect(await gapsOf({ place: 'Hà Nội' })).toEqual([{ code: copy, component: 'local.legalBasis', problem: expect.stringContaining('missing') }]);
    expect(await gapsOf({ legalBasis: provincialBasis('30/2026/QĐ-UBND', '2026-12-01') })).toEqual([
      { code: copy, component: 'local.legalBasis', problem: '30/2026/QĐ-UBND: issued on 2026-12-01, after the decision was signed (2026-11-30)' },
    ]);
    expect(await gapsOf({ legalBasis: [{ number: ' ', issuedOn: '2026-02-30' }] })).toHaveLength(2);
    expect(await gapsOf({ legalBasis: [{ number: '1/QĐ', issuedOn: '2026-13-45' }] })).toHaveLength(1);
    expect(await gapsOf({ authorizedAgency: 'UBND cấp xã', legalBasis: provincialBasis() })).toEqual([]);

    // Publication refuses a localization without its legal basis, and records it when given.
    await expect(publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội' } }], 'province', uniqueId('dec'), { signedOn: '2026-11-30' }))
      .rejects.toThrow(/local\.legalBasis: missing/);
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', authorizedAgency: 'UBND cấp xã', legalBasis: provincialBasis() } }], 'province', uniqueId('dec'), { signedOn: '2026-11-30' });
    expect((await procedureVersions(database.db, copy))[0]?.localization).toEqual({ authorizedAgency: 'UBND cấp xã', legalBasis: provincialBasis() });
  });

  it('Art 20: an interconnected TTHC names the published TTHCs it connects; otherwise the check finds the gap', async () => {
    const a = tthcTestCode();
    const b = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: a, content: fullContent('Đăng ký khai sinh') }, { kind: 'new', code: b, content: fullContent('Đăng ký thường trú') }]);
    const linked = tthcTestCode();
    const missing = tthcTestCode();
    const gaps = await reconcileItems(database.db, {
      agency: 'BTP', agencyKind: 'ministry', items: [{ kind: 'interconnected', code: linked, content: fullContent('Liên thông khai sinh, thường trú'), interconnectedWith: [a, missing] }],
    });
    expect(gaps).toEqual([{ code: linked, component: 'interconnectedWith', problem: `${missing} is not a published TTHC` }]);
    await publish('BTP', [{ kind: 'repealed', code: b }]);
    await expect(publish('BTP', [{ kind: 'interconnected', code: linked, content: fullContent('Liên thông'), interconnectedWith: [a, b] }]))
      .rejects.toThrow(`${b} is not a published TTHC`);
    const { versions } = await publish('BTP', [{ kind: 'interconnected', code: linked, content: fullContent('Liên thông khai sinh'), interconnectedWith: [a] }]);
    expect(versions).toEqual([{ code: linked, version: 1, kind: 'interconnected' }]);
    expect(await findProcedure(database.db, linked)).toMatchObject({ interconnected: true, status: 'published' });
    expect((await procedureVersions(database.db, linked))[0]?.interconnectedWith).toEqual([a]);
  });

  it('Art 28.1, 19.1: a repeal marks the online services of the TTHC and of the copies it cascaded to, once', async () => {
    const central = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code: central, content: fullContent('Cấp giấy phép lao động') }]);
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { legalBasis: provincialBasis() } }], 'province');
    const ministry = uniqueId('DVC');
    const province = uniqueId('DVC');
    const other = uniqueId('DVC');
    await declareService(database.db, { code: ministry, name: 'DVC Bộ', tthcCode: central, agency: 'BTP', level: 4, declaredBy: 'o' });
    await declareService(database.db, { code: province, name: 'DVC tỉnh', tthcCode: central, agency: 'UBND-HN', level: 4, declaredBy: 'o' });
    await declareService(database.db, { code: other, name: 'DVC khác', tthcCode: tthcTestCode(), agency: 'BTP', level: 4, declaredBy: 'o' });
    const { cascaded } = await publish('BTP', [{ kind: 'repealed', code: central }]);
    const actor = { userId: 'o', role: 'agency' as const, agency: 'BTP' };
    const notice = { decisionId: 'BTP.x', decisionNumber: '1/QĐ-BTP', effectiveOn: '2026-12-01', actor };
    const codes = [central, ...cascaded.map((c) => c.code)];
    const first = await recordTthcRepeal(database.db, { codes, notice });
    expect(first.map((s) => s.serviceCode).sort()).toEqual([ministry, province].sort());
    expect(await recordTthcRepeal(database.db, { codes, notice: { ...notice, decisionId: 'BTP.later' } })).toEqual(first);
    expect((await findService(database.db, province))?.tthcRepeal).toMatchObject({ decisionId: 'BTP.x', tthcCode: central });
    expect((await findService(database.db, other))?.tthcRepeal).toBeNull();
  });

  it('project rule (concurrency): two decisions amending the same version — one publishes, the other gets a conflict and must rebase; no change is lost', async () => {
    const code = tthcTestCode();
    await publish('BTP', [{ kind: 'new', code, content: fullContent('Cấp giấy phép') }]);
    const amend = (fee: number) => publish('BTP', [{ kind: 'amended', code, baseVersion: 1, content: fullContent('Cấp giấy phép', { fees: [{ name: 'Lệ phí', amountVnd: fee }] }) }]);
    const outcomes = await Promise.allSettled([amend(100_000), amend(200_000)]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(TthcConflictError);
    expect(String(lost[0]?.reason.message)).toMatch(/amends version 1 but version 2 is current/);
    // The loser rebases on version 2 and publishes: both changes are in the history.
    await publish('BTP', [{ kind: 'amended', code, baseVersion: 2, content: fullContent('Cấp giấy phép', { fees: [{ name: 'Lệ phí', amountVnd: 300_000 }] }) }]);
    const history = await procedureVersions(database.db, code);
    expect(history.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(history.filter((v) => v.status === 'published')).toHaveLength(1);
  });
  it('Art 16.3 (issue 18.5): the decision projection is sent only the changed items and merges them as the workflow does — replaced by key in place of none, removed, appended in order; an older revision never wins', async () => {
    const id = uniqueId('dec');
    const decision: DecisionProjection['decision'] = {
      decisionId: id, number: `${id}/QĐ-BTP`, title: 'Quyết định công bố', agency: 'BTP', agencyKind: 'ministry', authorityKind: 'minister',
      signedOn: '2026-03-02', legalEffectiveOn: '2026-05-01', stage: 'entering',
    };
    const [a, b, c] = [tthcTestCode(), tthcTestCode(), tthcTestCode()];
    const central = tthcTestCode();
    const item = (code: string, name: string): DecisionItem => ({ kind: 'new', code, content: fullContent(name) });
    const localized: DecisionItem = { kind: 'localized', centralCode: central, local: { place: 'Sở Tư pháp' } };
    const write = (revision: number, keys: string[], current: DecisionItem[], stage: DecisionProjection['decision']['stage'] = 'entering') =>
      upsertDecision(database.db, { workflowId: `wf-${id}`, revision, decision: { ...decision, stage }, items: { keys, current } });
    const codes = async () => (await findDecision(database.db, id))?.items.map((i) => (i.kind === 'localized' ? `L:${i.centralCode}` : `${i.code}:${'content' in i ? i.content?.name : ''}`));

    await write(1, [], []);
    expect(await codes()).toEqual([]);
    await write(2, [a, b, central], [item(a, 'A'), item(b, 'B'), localized]);
    expect(await codes()).toEqual([`${a}:A`, `${b}:B`, `L:${central}`]);
    // Entering A again and removing B: only A's new content and B's key are sent.
    await write(3, [a, b], [item(a, 'A2')]);
    expect(await codes()).toEqual([`L:${central}`, `${a}:A2`]);
    // A retried older write (revision 2) changes nothing.
    await write(2, [a, b, central], [item(a, 'A'), item(b, 'B'), localized]);
    expect(await codes()).toEqual([`L:${central}`, `${a}:A2`]);
    // A step that changes no item (a check) keeps them; the stage moves.
    await write(4, [], [], 'checked');
    expect(await findDecision(database.db, id)).toMatchObject({ stage: 'checked', items: [{ kind: 'localized' }, { code: a }] });
    await write(5, [c], [item(c, 'C')]);
    expect(await codes()).toEqual([`L:${central}`, `${a}:A2`, `${c}:C`]);
    // An attempt scheduled before the change carries the whole state: it replaces every item.
    await upsertDecision(database.db, { workflowId: `wf-${id}`, revision: 6, state: { ...decision, items: [item(b, 'B3')], actions: [] } });
    expect(await codes()).toEqual([`${b}:B3`]);
  });
});
