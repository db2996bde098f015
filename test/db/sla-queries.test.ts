import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { breachCursorOf, dueCursorOf, listBreaches, listDueBefore, onTimeRates, rateParts, workflowsWithStaleClocks, type BreachCursor } from '../../db/queries/sla.js';
import { slaClocks } from '../../db/schema/index.js';
import { insertClock } from '../support/sla-clocks.js';
import { testDatabase, uniqueId } from '../support/env.js';

// Every row of this file carries its own process name, so other files' clocks in the shared
// database never enter the counts.
describe('supervision queries on sla_clocks (PostgreSQL)', () => {
  let database: DatabaseHandle;
  const process = uniqueId('proc');
  const all = { limit: 100, offset: 0 };
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    database = testDatabase();
    const db = database.db;
    const breached = (n: number, over: Parameters<typeof insertClock>[1]) =>
      insertClock(db, { outcome: 'breached', breachedAt: `2026-03-${String(n).padStart(2, '0')}T16:59:59.999Z`, dueAt: `2026-03-${String(n).padStart(2, '0')}T16:59:59.999Z`, ...over });
    // BTP cases: VPCP breached its review twice (one still open), BTP breached its test once.
    await breached(10, { workflowId: `${process}-btp-1`, process, caseAgency: 'BTP', key: 'review', owner: 'VPCP', ownerKind: 'vpcp', article: 'Art 27.3' });
    await breached(11, { workflowId: `${process}-btp-2`, process, caseAgency: 'BTP', key: 'review', owner: 'VPCP', ownerKind: 'vpcp', article: 'Art 27.3', completedAt: '2026-03-12T03:00:00.000Z', completedBy: 'vpcp-1' });
    await breached(12, { workflowId: `${process}-btp-2`, process, caseAgency: 'BTP', key: 'test', owner: 'BTP', ownerKind: 'agency', article: 'Art 27.4' });
    // A BYT case transferred to BTP: BTP owns the breached clock of another agency's case.
    await breached(13, { workflowId: `${process}-byt-1`, process, caseAgency: 'BYT', key: 'transfer', owner: 'BTP', ownerKind: 'agency', article: 'Art 42.3c' });
    await breached(14, { workflowId: `${process}-byt-2`, process, caseAgency: 'BYT', key: 'classify', owner: 'BYT', ownerKind: 'agency', article: 'Art 42.3a' });
    // Met and pending clocks.
    await insertClock(db, { workflowId: `${process}-btp-3`, process, caseAgency: 'BTP', key: 'review', outcome: 'met', dueAt: '2026-03-10T16:59:59.999Z', completedAt: '2026-03-09T03:00:00.000Z' });
    await insertClock(db, { workflowId: `${process}-btp-3`, process, caseAgency: 'BTP', key: 'test', owner: 'BTP', ownerKind: 'agency', outcome: 'met', dueAt: '2026-03-20T16:59:59.999Z', completedAt: '2026-03-19T03:00:00.000Z' });
    await insertClock(db, { workflowId: `${process}-btp-4`, process, caseAgency: 'BTP', key: 'review', outcome: 'pending', dueAt: '2026-04-01T16:59:59.999Z', calendarVersion: 1 });
    await insertClock(db, { workflowId: `${process}-byt-3`, process, caseAgency: 'BYT', key: 'classify', owner: 'BYT', ownerKind: 'agency', outcome: 'pending', dueAt: '2026-04-03T16:59:59.999Z', calendarVersion: 1 });
    await insertClock(db, { workflowId: `${process}-byt-4`, process, caseAgency: 'BYT', key: 'classify', owner: 'BYT', ownerKind: 'agency', outcome: 'cancelled', dueAt: '2026-03-15T16:59:59.999Z', completedAt: '2026-03-14T00:00:00.000Z' });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('SPEC §3: lists every breach of a process, newest breach first, with the total', async () => {
    const { items, total } = await listBreaches(database.db, {}, { process, ...all });
    expect(total).toBe(5);
    expect(items.map((c) => c.breachedAt?.toISOString().slice(0, 10))).toEqual(['2026-03-14', '2026-03-13', '2026-03-12', '2026-03-11', '2026-03-10']);
  });

  it('SPEC §3: filters breaches by case agency, owner, article, period and still-open', async () => {
    const db = database.db;
    expect((await listBreaches(db, {}, { process, agency: 'BTP', ...all })).total).toBe(3);
    expect((await listBreaches(db, {}, { process, owner: 'VPCP', ...all })).total).toBe(2);
    expect((await listBreaches(db, {}, { process, article: 'Art 42.3c', ...all })).items.map((c) => c.workflowId)).toEqual([`${process}-byt-1`]);
    const period = await listBreaches(db, {}, { process, from: at('2026-03-11T00:00:00Z'), to: at('2026-03-13T00:00:00Z'), ...all });
    expect(period.items.map((c) => c.clockKey)).toEqual(['test', 'review']);
    const open = await listBreaches(db, {}, { process, owner: 'VPCP', open: true, ...all });
    expect(open.items.map((c) => c.workflowId)).toEqual([`${process}-btp-1`]);
  });

  it('SPEC §1: an agency sees the breaches of its own cases and the breaches it owns, nothing else', async () => {
    const btp = await listBreaches(database.db, { agency: 'BTP' }, { process, ...all });
    expect(btp.items.map((c) => `${c.caseAgency}/${c.owner}`).sort()).toEqual(['BTP/BTP', 'BTP/VPCP', 'BTP/VPCP', 'BYT/BTP']);
    const byt = await listBreaches(database.db, { agency: 'BYT' }, { process, ...all });
    expect(byt.items.map((c) => c.clockKey).sort()).toEqual(['classify', 'transfer']);
    expect((await listBreaches(database.db, { agency: 'BQP' }, { process, ...all })).total).toBe(0);
  });

  it('pages are stable and complete: every breach exactly once across pages', async () => {
    const pages = await Promise.all([0, 2, 4].map((offset) => listBreaches(database.db, {}, { process, limit: 2, offset })));
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.total === 5)).toBe(true);
    const keys = pages.flatMap((p) => p.items.map((c) => `${c.workflowId}/${c.clockKey}`));
    expect(new Set(keys).size).toBe(5);
  });

  it('issue 18.3: keyset pages — each page continues after the cursor of the last, newest breach first, ties by case and clock', async () => {
    const db = database.db;
    // Two breaches at the same instant: the cursor must tell them apart by case and clock.
    const tied = `${process}-tied`;
    const instant = '2026-03-20T16:59:59.999Z';
    for (const key of ['a', 'b']) await insertClock(db, { workflowId: tied, process: tied, caseAgency: 'BTP', key, outcome: 'breached', dueAt: instant, breachedAt: instant });
    await insertClock(db, { workflowId: `${tied}-2`, process: tied, caseAgency: 'BTP', key: 'a', outcome: 'breached', dueAt: instant, breachedAt: instant });
    const walk = async (proc: string) => {
      const seen: string[] = [];
      let after: BreachCursor | undefined;
      for (;;) {
        const { items, total } = await listBreaches(db, {}, { process: proc, limit: 2, after, withTotal: !after });
        if (!after) expect(total).toBeGreaterThan(0);
        else expect(total).toBeUndefined();
        seen.push(...items.map((c) => `${c.workflowId}/${c.clockKey}`));
        if (items.length < 2) return seen;
        after = breachCursorOf(items.at(-1)!);
      }
    };
    const everyOne = (await listBreaches(db, {}, { process, limit: 100 })).items.map((c) => `${c.workflowId}/${c.clockKey}`);
    expect(await walk(process)).toEqual(everyOne);
    expect(await walk(tied)).toEqual([`${tied}-2/a`, `${tied}/b`, `${tied}/a`]);
    const due = await listDueBefore(db, {}, { process, until: at('2026-05-01T00:00:00Z'), limit: 1 });
    const next = await listDueBefore(db, {}, { process, until: at('2026-05-01T00:00:00Z'), limit: 1, after: dueCursorOf(due.items[0]!), withTotal: false });
    expect([...due.items, ...next.items].map((c) => c.workflowId)).toEqual([`${process}-btp-4`, `${process}-byt-3`]);
  });

  it('SPEC §3: open clocks due before an instant, soonest first, scoped like breaches', async () => {
    const due = await listDueBefore(database.db, {}, { process, until: at('2026-04-02T00:00:00Z'), ...all });
    expect(due.items.map((c) => c.workflowId)).toEqual([`${process}-btp-4`]);
    const later = await listDueBefore(database.db, {}, { process, until: at('2026-05-01T00:00:00Z'), ...all });
    expect(later.total).toBe(2);
    expect(later.items.map((c) => c.caseAgency)).toEqual(['BTP', 'BYT']);
    expect((await listDueBefore(database.db, { agency: 'BYT' }, { process, until: at('2026-05-01T00:00:00Z'), ...all })).items.map((c) => c.workflowId)).toEqual([`${process}-byt-3`]);
    expect((await listDueBefore(database.db, {}, { process, owner: 'BYT', until: at('2026-05-01T00:00:00Z'), ...all })).total).toBe(1);
  });

  it('SPEC §3: on-time rate per owner counts met and breached clocks due in the period; pending and cancelled do not count', async () => {
    const rates = await onTimeRates(database.db, {}, { process, from: at('2026-03-01T00:00:00Z'), to: at('2026-04-30T00:00:00Z') });
    expect(rates).toEqual([
      { owner: 'BTP', ownerKind: 'agency', met: 1, breached: 2, total: 3, onTimeRate: 1 / 3 },
      { owner: 'BYT', ownerKind: 'agency', met: 0, breached: 1, total: 1, onTimeRate: 0 },
      { owner: 'VPCP', ownerKind: 'vpcp', met: 1, breached: 2, total: 3, onTimeRate: 1 / 3 },
    ]);
    const btpOnly = await onTimeRates(database.db, { agency: 'BTP' }, { process, from: at('2026-03-01T00:00:00Z'), to: at('2026-04-30T00:00:00Z') });
    expect(btpOnly.map((r) => r.owner)).toEqual(['BTP']);
    const march10 = await onTimeRates(database.db, {}, { process, from: at('2026-03-10T00:00:00Z'), to: at('2026-03-11T00:00:00Z') });
    expect(march10).toEqual([{ owner: 'VPCP', ownerKind: 'vpcp', met: 1, breached: 1, total: 2, onTimeRate: 0.5 }]);
  });

  it('SPEC §3 / issue 18.3: on-time rates read whole months and days from sla_outcome_counts and equal a count over the clocks, for any range', async () => {
    const db = database.db;
    const proc = `${process}-rates`;
    // 400 clocks every ~29 hours over 16 months, owners BTP and VPCP; the projection's own upsert
    // writes them pending, then again as met or breached (what the workflows do), some several times.
    const outcomes = ['met', 'breached', 'met', 'pending', 'cancelled'] as const;
    for (let i = 0; i < 400; i++) {
      const dueAt = new Date(Date.UTC(2025, 0, 1) + i * 29 * 3_600_000 + (i % 7) * 60_000).toISOString();
      const row = { workflowId: `${proc}-${i}`, process: proc, caseAgency: 'BTP', dueAt, ...(i % 3 ? { owner: 'BTP', ownerKind: 'agency' as const, article: 'Art 27.4' } : {}) };
      await insertClock(db, { ...row, outcome: 'pending' });
      const outcome = outcomes[i % outcomes.length]!;
      if (outcome !== 'pending') await insertClock(db, { ...row, revision: 2, outcome, ...(outcome === 'breached' ? { breachedAt: dueAt } : { completedAt: dueAt }) });
      // A later revision moves a met clock to breached: the counts follow (one down, one up).
      if (i % 10 === 0) await insertClock(db, { ...row, revision: 3, outcome: 'breached', breachedAt: dueAt });
    }
    const direct = async (from: Date, to: Date, agency?: string) =>
      (await db.execute(sql`select owner, count(*) filter (where outcome = 'met')::int as met, count(*) filter (where outcome = 'breached')::int as breached
        from sla_clocks where process = ${proc} and kind = 'regulated' and outcome in ('met', 'breached') and due_at >= ${from.toISOString()} and due_at <= ${to.toISOString()}
        ${agency ? sql`and owner = ${agency}` : sql``} group by owner order by owner`)) as unknown as { owner: string; met: number; breached: number }[];
    const ranges: [string, string][] = [
      ['2025-01-01T00:00:00+07:00', '2026-04-30T23:59:59.999+07:00'], // whole months only
      ['2025-01-15T00:00:00+07:00', '2025-11-20T23:59:59.999+07:00'], // days, months, days
      ['2025-03-03T10:17:00Z', '2025-09-09T04:00:00Z'], // partial days at both edges
      ['2025-05-01T10:00:00Z', '2025-05-02T06:00:00Z'], // less than a day, across a local midnight
      ['2025-02-01T00:00:00+07:00', '2025-02-28T23:59:59.999+07:00'], // one whole month
      ['2025-06-30T17:00:00Z', '2025-07-02T16:59:59.999Z'], // two whole days at a month's edge
    ];
    for (const [from, to] of ranges) {
      const rates = await onTimeRates(db, {}, { from: at(from), to: at(to), process: proc });
      expect(rates.map(({ owner, met, breached }) => ({ owner, met, breached })), `${from} – ${to}`).toEqual(await direct(at(from), at(to)));
      expect(rates.length).toBeGreaterThan(0);
      const own = await onTimeRates(db, { agency: 'BTP' }, { from: at(from), to: at(to), process: proc });
      expect(own.map(({ owner, met, breached }) => ({ owner, met, breached }))).toEqual(await direct(at(from), at(to), 'BTP'));
    }
    // Deleting clocks takes them out of the counts too.
    await db.delete(slaClocks).where(like(slaClocks.workflowId, `${proc}-1%`));
    const [from, to] = ranges[0]!;
    expect((await onTimeRates(db, {}, { from: at(from), to: at(to), process: proc })).map(({ owner, met, breached }) => ({ owner, met, breached }))).toEqual(await direct(at(from), at(to)));
  });

  it('issue 18.3: a rate range splits into whole months, whole local days and partial edges', () => {
    expect(rateParts(at('2025-01-15T00:00:00+07:00'), at('2025-03-20T23:59:59.999+07:00'))).toEqual({
      edges: [],
      days: [{ from: '2025-01-15', to: '2025-02-01' }, { from: '2025-03-01', to: '2025-03-21' }],
      months: { from: '2025-02-01', to: '2025-03-01' },
    });
    expect(rateParts(at('2025-01-15T03:00:00Z'), at('2025-01-17T03:00:00Z'))).toEqual({
      edges: [{ from: Date.parse('2025-01-15T03:00:00Z'), to: Date.parse('2025-01-15T17:00:00Z') }, { from: Date.parse('2025-01-16T17:00:00Z'), to: Date.parse('2025-01-17T03:00:00.001Z') }],
      days: [{ from: '2025-01-16', to: '2025-01-17' }],
      months: undefined,
    });
  });

  it('finds the workflows whose open clocks were computed on an older calendar version', async () => {
    expect(await workflowsWithStaleClocks(database.db, 2, { process })).toEqual([`${process}-btp-4`, `${process}-byt-3`]);
    expect(await workflowsWithStaleClocks(database.db, 1, { process })).toEqual([]);
    expect(await workflowsWithStaleClocks(database.db, 2, { workflowIds: [`${process}-byt-3`, `${process}-btp-1`] })).toEqual([`${process}-byt-3`]);
  });

  it('the projection is idempotent: an older revision never overwrites a newer one', async () => {
    const workflowId = uniqueId('revisions');
    const clock = { workflowId, process: `${process}-revisions`, caseAgency: 'BTP' };
    await insertClock(database.db, { ...clock, revision: 3, outcome: 'met', completedAt: '2026-03-03T00:00:00.000Z' });
    await insertClock(database.db, { ...clock, revision: 2, outcome: 'pending' });
    await insertClock(database.db, { ...clock, revision: 3, outcome: 'pending' });
    const [row] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, 'review')));
    expect(row).toMatchObject({ revision: 3, outcome: 'met' });
  });
});

describe('citizen waits in supervision', () => {
  it("Art 42.3b (project rule): a citizen's expired supplementation wait is not listed as a breach nor counted in on-time rates", async () => {
    const database = testDatabase();
    try {
      const process = uniqueId('proc');
      const due = '2026-05-04T16:59:59.999Z';
      await insertClock(database.db, { workflowId: `${process}-1`, process, caseAgency: 'BTP', key: 'supplement#1', owner: 'portal-account-1', ownerKind: 'citizen', article: 'project rule (Art 42.3b)', outcome: 'breached', breachedAt: due, dueAt: due });
      await insertClock(database.db, { workflowId: `${process}-1`, process, caseAgency: 'BTP', key: 'classify#1', owner: 'BTP', ownerKind: 'agency', article: 'Art 42.3', outcome: 'breached', breachedAt: due, dueAt: due });
      const { items, total } = await listBreaches(database.db, {}, { process, limit: 100, offset: 0 });
      expect(total).toBe(1);
      expect(items.map((c) => c.clockKey)).toEqual(['classify#1']);
      const rates = await onTimeRates(database.db, {}, { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-31T00:00:00Z'), process });
      expect(rates.map((r) => r.owner)).toEqual(['BTP']);
    } finally {
      await database.close();
    }
  });
});
