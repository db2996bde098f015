import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { findProcedure, procedureVersionAt, procedureVersions, publishDecision, reconcileItems, TthcConflictError } from '../../db/queries/tthc.js';
import { tthcProcedures } from '../../db/schema/index.js';
import type { DecisionItem } from '../../workflows/tthc.definitions.js';
import { localizedCode } from '../../workflows/tthc.rules.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { testDatabase, uniqueId } from '../support/env.js';

describe('TTHC catalogue: atomic publication, version history, cascade, concurrency', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  const publish = (agency: string, items: DecisionItem[], agencyKind: 'ministry' | 'province' = 'ministry', decisionId = uniqueId('dec')) =>
    publishDecision(database.db, { decisionId, workflowId: `wf-${decisionId}`, agency, agencyKind, items });

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
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội', processingTime: '7 ngày' } }], 'province');
    await publish('UBND-HCM', [{ kind: 'localized', centralCode: central, local: { place: 'TP HCM' } }], 'province');
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
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội' } }], 'province');
    const amended = await publish('BTP', [{ kind: 'amended', code: central, baseVersion: 1, content: fullContent('Đăng ký nuôi con nuôi (sửa đổi)') }]);
    expect(amended.flagged).toEqual([{ code: localizedCode(central, 'UBND-HN'), centralCode: central, centralVersion: 2, province: 'UBND-HN' }]);
    expect((await findProcedure(database.db, localizedCode(central, 'UBND-HN')))?.centralAmendedVersion).toBe(2);
    // Re-localizing on the amended central version clears the flag.
    await publish('UBND-HN', [{ kind: 'localized', centralCode: central, local: { place: 'Hà Nội' } }], 'province');
    const copy = await findProcedure(database.db, localizedCode(central, 'UBND-HN'));
    expect(copy).toMatchObject({ currentVersion: 2, centralAmendedVersion: null, name: 'Đăng ký nuôi con nuôi (sửa đổi)' });
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
});
