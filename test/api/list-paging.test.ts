import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import type { Actor } from '../../api/auth.js';
import { encodeCursor } from '../../api/schemas.js';
import {
  accountIssues, connectionOutages, consistencyFindings, consistencyRuns, dvcttRounds, dvcttServices, evaluationRuns, feedbackAnswers, feedbackItems,
  maintenanceWindows, notifications, officers, payments, permissionGrants, slaClocks, supportRequests, tthcDecisions, tthcProcedures, tthcPublications,
  tthcReviews,
} from '../../db/schema/index.js';
import { DVCTT_PROCESS } from '../../domain/dvctt/types.js';
import { startedPaymentView } from '../../domain/payments/types.js';
import { upsertPayment } from '../../db/queries/payment.js';
import { insertClock } from '../support/sla-clocks.js';
import { apiUnderTest } from '../support/api.js';

/**
 * Issue 18.3: every list the API serves pages by keyset cursor — `nextCursor` on each page (null on
 * the last), `?cursor=` for the next — newest first with a unique tiebreak, so that a walk over the
 * pages returns every row once, in order, whatever the page size. Rows are written straight into
 * each list's read model (the projections the workflows write), under a filter value of this file's
 * own, so that other files' rows stay out of the lists (the evaluation runs, which have no filter,
 * sort ahead of every other run and are deleted at once).
 */
interface Page { items: Record<string, unknown>[]; total?: number; totalEstimated?: boolean; nextCursor: string | null }

const tag = randomUUID().slice(0, 8).toUpperCase();
/** An agency code of this file only (the lists filter by it; no foreign key on these read models). */
const agency = `PG-${tag}`;
const iso = (s: string) => new Date(s);

describe('keyset paging of every list (issue 18.3)', () => {
  const api = apiUnderTest();
  const { cleanup, get } = api;
  const vpcp: Actor = { userId: `paging-vpcp-${tag}`, role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: `paging-auditor-${tag}`, role: 'auditor' };

  /**
   * Walks a list page by page (`pageSize` rows each) by its cursor: every page's items, and the total
   * the first page gave. Stops at the last page or after `maxPages`.
   */
  async function walk(url: string, actor: Actor | undefined, pageSize: number, maxPages = 20, pick: (body: Record<string, unknown>) => Page = (b) => b as unknown as Page) {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`${url}${url.includes('?') ? '&' : '?'}pageSize=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`, actor);
      expect(res.statusCode, res.body).toBe(200);
      const page = pick(res.json());
      expect(page.items.length).toBeLessThanOrEqual(pageSize);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < maxPages);
    return { pages, items: pages.flatMap((p) => p.items), total: pages[0]!.total };
  }

  /** Issue 18.3: the total (exact here, under 10,000) comes with the first page only; a page after a cursor counts nothing. */
  function expectTotalOnFirstPageOnly(pages: Page[]) {
    expect(pages[0]!.totalEstimated).toBe(false);
    expect(pages.slice(1).map((p) => ['total', 'totalEstimated'].filter((k) => k in p))).toEqual(pages.slice(1).map(() => []));
  }

  /** Every row once, in the order given, over more than one page; the first page's total counts them all. */
  async function expectWalk(url: string, actor: Actor | undefined, key: string, expected: string[], pageSize = 2) {
    const { pages, items, total } = await walk(url, actor, pageSize);
    expect(items.map((i) => i[key])).toEqual(expected);
    expect(pages.length).toBe(Math.ceil(expected.length / pageSize));
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(total).toBe(expected.length);
    expectTotalOnFirstPageOnly(pages);
    // `?page` still answers (OFFSET), the same rows as the cursor's second page.
    const second = (await get(`${url}${url.includes('?') ? '&' : '?'}pageSize=${pageSize}&page=2`, actor)).json() as Page;
    expect(second.items.map((i) => i[key])).toEqual(expected.slice(pageSize, 2 * pageSize));
  }

  it('Art 31.2b, 33.3: payments, newest registered first (ties: the later id), every payment once by `limit` and `cursor`; a later write of the workflow keeps the row in its place', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const views = at.map((createdAt, i) => startedPaymentView(`payment-${agency}-${i}`, {
      agency, requestRef: String(i), dossierCode: `H-${i}`, feeTypeCode: 'LEPHI', amount: 1_000 + i, beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111', name: 'KBNN' },
    }, createdAt));
    for (const view of views) await upsertPayment(api.database.db, view);
    cleanup.push(() => api.database.db.delete(payments).where(inArray(payments.id, views.map((v) => v.paymentId))));
    // The workflow's own write (revision 1, its own instant) does not move the row under a reader.
    await upsertPayment(api.database.db, { ...views[3]!, revision: 1, createdAt: '2026-06-01T00:00:00.000Z' });
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/payments?agency=${agency}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, vpcp);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: { paymentId: string }[]; nextCursor: string | null };
      ids.push(...page.items.map((p) => p.paymentId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(ids).toEqual([0, 2, 1, 3, 4].map((i) => `payment-${agency}-${i}`));
    expect(pages).toBe(3);
  });

  it('Art 13.1: account issues, newest received first (ties: the later case id), every issue once', async () => {
    const accountId = `acc-${tag}`;
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const rows = at.map((receivedAt, i) => ({
      caseId: `issue-${tag}-${i}`, workflowId: `account-issue-${tag}-${i}`, accountId, kind: 'complaint', channel: 'portal', status: 'received', receivedAt: iso(receivedAt), revision: 1,
    }));
    await api.database.db.insert(accountIssues).values(rows);
    cleanup.push(() => api.database.db.delete(accountIssues).where(inArray(accountIssues.caseId, rows.map((r) => r.caseId))));
    await expectWalk(`/v1/accounts/issues?accountId=${accountId}`, vpcp, 'caseId', [`issue-${tag}-0`, `issue-${tag}-2`, `issue-${tag}-1`, `issue-${tag}-3`, `issue-${tag}-4`]);
  });

  it('Art 51: support requests, newest received first (ties: the later id), every request once — for VPCP and for the agency itself', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-02T01:00:00.000Z'];
    const rows = at.map((receivedAt, i) => ({
      requestId: `support-${tag}-${i}`, workflowId: `support-request-${tag}-${i}`, agency, kind: 'incident', title: 'Sự cố', description: 'Mô tả',
      status: 'received', round: 1, receivedAt: iso(receivedAt), revision: 1,
    }));
    await api.database.db.insert(supportRequests).values(rows);
    cleanup.push(() => api.database.db.delete(supportRequests).where(inArray(supportRequests.requestId, rows.map((r) => r.requestId))));
    const expected = [`support-${tag}-1`, `support-${tag}-0`, `support-${tag}-2`, `support-${tag}-3`, `support-${tag}-4`];
    await expectWalk(`/v1/operations/support-requests?agency=${agency}`, vpcp, 'requestId', expected);
    await expectWalk('/v1/operations/support-requests', { userId: `paging-officer-${tag}`, role: 'agency', agency }, 'requestId', expected);
  });

  it('Art 51: maintenance windows, the latest start first (ties: the later id), every window once', async () => {
    const starts = ['2098-03-05T01:00:00.000Z', '2098-03-04T01:00:00.000Z', '2098-03-03T01:00:00.000Z', '2098-03-03T01:00:00.000Z', '2098-03-01T01:00:00.000Z'];
    const rows = starts.map((startsAt, i) => ({
      windowId: `window-${tag}-${i}`, workflowId: `maintenance-${tag}-${i}`, title: 'Bảo trì', description: 'Bảo trì định kỳ', startsAt: iso(startsAt),
      endsAt: new Date(iso(startsAt).getTime() + 3_600_000), announcedAt: iso('2098-02-01T01:00:00.000Z'), announcedBy: 'vpcp/VPCP/paging', status: 'completed', revision: 1,
    }));
    await api.database.db.insert(maintenanceWindows).values(rows);
    cleanup.push(() => api.database.db.delete(maintenanceWindows).where(inArray(maintenanceWindows.windowId, rows.map((r) => r.windowId))));
    await expectWalk('/v1/operations/maintenance?status=completed&from=2098-03-01&to=2098-03-31', auditor, 'windowId',
      [`window-${tag}-0`, `window-${tag}-1`, `window-${tag}-3`, `window-${tag}-2`, `window-${tag}-4`]);
  });

  it('Art 52: connection outages, the latest start first (ties: the later id), every outage once', async () => {
    const systemId = `sys-${tag}`;
    const starts = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const rows = starts.map((startedAt, i) => ({
      outageId: `outage-${tag}-${i}`, systemId, agencyCode: agency, startedAt: iso(startedAt), endedAt: new Date(iso(startedAt).getTime() + 600_000),
      detectedAt: new Date(iso(startedAt).getTime() + 180_000), failures: 3,
    }));
    await api.database.db.insert(connectionOutages).values(rows);
    cleanup.push(() => api.database.db.delete(connectionOutages).where(inArray(connectionOutages.outageId, rows.map((r) => r.outageId))));
    await expectWalk(`/v1/operations/outages?systemId=${systemId}`, vpcp, 'outageId', [`outage-${tag}-0`, `outage-${tag}-2`, `outage-${tag}-1`, `outage-${tag}-3`, `outage-${tag}-4`]);
  });

  it('Art 30: evaluation runs, newest first — the cursor keeps the start instant to the microsecond, so runs within one millisecond are neither skipped nor repeated', async () => {
    // PostgreSQL stamps startedAt (microseconds); three runs within one millisecond, two at one instant.
    const starts = ['2099-01-01T00:00:00.000003Z', '2099-01-01T00:00:00.000002Z', '2099-01-01T00:00:00.000001Z', '2098-12-31T00:00:00Z', '2098-12-31T00:00:00Z'];
    const ids = starts.map((_, i) => `evaluation-paging-${tag}-${i}`);
    try {
      await api.database.db.insert(evaluationRuns).values(starts.map((startedAt, i) => ({
        id: ids[i]!, periodFrom: '2098-01-01', periodTo: '2098-12-31', configVersion: 1, trigger: 'vpcp' as const, publish: false, status: 'completed' as const,
        startedAt: sql`${startedAt}::timestamptz`,
      })));
      // No filter on this list: this file's runs are the newest of all; the walk stops after them.
      const { pages, items, total } = await walk('/v1/evaluation/runs', auditor, 2, 3);
      expect(items.slice(0, 5).map((r) => r.id)).toEqual([ids[0], ids[1], ids[2], ids[4], ids[3]]);
      expect(new Set(items.map((r) => r.id)).size).toBe(items.length);
      expect(total).toBeGreaterThanOrEqual(5);
      expectTotalOnFirstPageOnly(pages);
    } finally {
      await api.database.db.delete(evaluationRuns).where(inArray(evaluationRuns.id, ids));
    }
  });

  it('Art 45.1: published answers (public), the latest published first (ties: the later id), every answer once', async () => {
    const tthcCode = `TTHC-${tag}`;
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const rows = at.map((publishedAt, i) => ({
      itemId: `answer-${tag}-${i}`, agency: 'BTP', category: 'tthc-not-published', tthcCode, question: 'Câu hỏi công khai', answer: 'Trả lời',
      receivedAt: iso('2026-04-01T01:00:00.000Z'), publishedAt: iso(publishedAt), publishedBy: 'agency/BTP/paging',
    }));
    await api.database.db.insert(feedbackAnswers).values(rows);
    cleanup.push(() => api.database.db.delete(feedbackAnswers).where(inArray(feedbackAnswers.itemId, rows.map((r) => r.itemId))));
    await expectWalk(`/v1/feedback/published?tthcCode=${tthcCode}`, undefined, 'itemId', [`answer-${tag}-0`, `answer-${tag}-1`, `answer-${tag}-3`, `answer-${tag}-2`, `answer-${tag}-4`]);
    // Issue 18.3: the exact total (under 10,000) on the first page only; a cursor's page counts nothing.
    const { pages } = await walk(`/v1/feedback/published?tthcCode=${tthcCode}`, undefined, 2);
    expect(pages[0]).toMatchObject({ total: 5, totalEstimated: false });
    expect(pages.slice(1).map((p) => p.total)).toEqual([undefined, undefined]);
  });

  it('Art 45.1, issue 18.3: beyond 10,000 published answers the first page\'s total is an estimate, flagged, never below the 10,001 counted', async () => {
    const tthcCode = `TTHC-many-${tag}`;
    await api.database.db.execute(sql`
      insert into feedback_answers (item_id, agency, category, tthc_code, question, answer, received_at, published_at, published_by)
      select 'answer-many-' || ${tag} || '-' || g, 'BTP', 'tthc-not-published', ${tthcCode}, 'Câu hỏi', 'Trả lời', now(), now() - g * interval '1 second', 'agency/BTP/paging'
      from generate_series(1, 10050) g`);
    cleanup.push(() => api.database.db.delete(feedbackAnswers).where(sql`${feedbackAnswers.tthcCode} = ${tthcCode}`));
    const first = (await get(`/v1/feedback/published?tthcCode=${tthcCode}&pageSize=2`)).json() as Page & { totalEstimated: boolean };
    expect(first.totalEstimated).toBe(true);
    expect(first.total).toBeGreaterThanOrEqual(10_001);
    expect(first.items.map((i) => i.itemId)).toEqual([`answer-many-${tag}-1`, `answer-many-${tag}-2`]);
  });

  it('Art 16.5: published decisions (public), newest signed first (ties: the later id), every decision once; unpublished ones never — the decisions list shows every stage', async () => {
    const signed = ['2026-05-05', '2026-05-04', '2026-05-04', '2026-05-02', '2026-05-01', '2026-05-06'];
    const rows = signed.map((signedOn, i) => ({
      id: `decision-${tag}-${i}`, workflowId: `tthc-decision-${tag}-${i}`, revision: 1, number: `${i}/QĐ-${tag}`, title: 'Công bố TTHC', agency,
      authorityKind: 'minister' as const, signedOn, legalEffectiveOn: signedOn, stage: (i === 5 ? 'checked' : 'published') as 'checked' | 'published', items: [], lateIssue: false,
    }));
    await api.database.db.insert(tthcDecisions).values(rows);
    // The sixth, the newest signed, is checked but not published: not public.
    await api.database.db.insert(tthcPublications).values(rows.slice(0, 5).map((r) => ({
      decisionId: r.id, workflowId: r.workflowId, publishedAt: iso('2026-05-07T01:00:00.000Z'), result: { decisionId: r.id, publishedAt: '2026-05-07T01:00:00.000Z', versions: [], cascaded: [], flagged: [] },
    })));
    cleanup.push(() => api.database.db.delete(tthcDecisions).where(inArray(tthcDecisions.id, rows.map((r) => r.id))));
    cleanup.push(() => api.database.db.delete(tthcPublications).where(inArray(tthcPublications.decisionId, rows.map((r) => r.id))));
    await expectWalk(`/v1/tthc/published-decisions?agency=${agency}`, undefined, 'id', [`decision-${tag}-0`, `decision-${tag}-2`, `decision-${tag}-1`, `decision-${tag}-3`, `decision-${tag}-4`]);
    // Issue 18.3: the exact total (under 10,000) on the first page only; a cursor's page counts nothing.
    const { pages } = await walk(`/v1/tthc/published-decisions?agency=${agency}`, undefined, 2);
    expect(pages[0]).toMatchObject({ total: 5, totalEstimated: false });
    expect(pages.slice(1).map((p) => p.total)).toEqual([undefined, undefined]);
    // The decisions list (VPCP) has the unpublished sixth too, newest signed first.
    await expectWalk(`/v1/tthc/decisions?agency=${agency}`, vpcp, 'id', [5, 0, 2, 1, 3, 4].map((i) => `decision-${tag}-${i}`));
  });

  it('Art 24.2a: TTHC quality reviews (public), newest opened first (ties: the later id), every review once', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    // Review ids are UUIDs: one prefix and a last digit, so that the tie's order (the later id first) is known.
    const prefix = randomUUID().slice(0, 35);
    const ids = at.map((_, i) => `${prefix}${i}`);
    const rows = at.map((openedAt, i) => ({
      id: ids[i]!, workflowId: `tthc-review-${tag}-${i}`, revision: 1, code: `${tag}.000001`, version: 1, agency, stage: 'awaiting-fix' as const,
      findings: [], rounds: [], openedAt: iso(openedAt),
    }));
    await api.database.db.insert(tthcReviews).values(rows);
    cleanup.push(() => api.database.db.delete(tthcReviews).where(inArray(tthcReviews.id, ids)));
    await expectWalk(`/v1/tthc/reviews?agency=${agency}`, undefined, 'id', [0, 2, 1, 3, 4].map((i) => ids[i]!));
  });

  it('Art 42: feedback items, newest received first (ties: the later id), every item once', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const rows = at.map((receivedAt, i) => ({
      itemId: `item-${tag}-${i}`, workflowId: `feedback-${tag}-${i}`, receivingAgency: agency, agency, involvedAgencies: [agency], status: 'received',
      category: 'tthc-not-published', channel: 'portal', senderName: 'Nguyễn Văn A', senderAddress: 'Hà Nội', content: 'Phản ánh', round: 1,
      receivedAt: iso(receivedAt), roundStartedAt: iso(receivedAt), revision: 1,
    }));
    await api.database.db.insert(feedbackItems).values(rows);
    cleanup.push(() => api.database.db.delete(feedbackItems).where(inArray(feedbackItems.itemId, rows.map((r) => r.itemId))));
    await expectWalk(`/v1/feedback?agency=${agency}`, vpcp, 'itemId', [0, 2, 1, 3, 4].map((i) => `item-${tag}-${i}`));
  });

  it('Portal notices to an agency, newest first (ties: the later key), every notice once', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-01T01:00:00.000Z'];
    const rows = at.map((createdAt, i) => ({
      key: `notice-${tag}-${i}`, workflowId: `case-${tag}-${i}`, channel: 'portal' as const, recipient: agency, recipientKind: 'agency' as const,
      template: 'paging.test', subjectVi: 'Thông báo', subject: 'Notice', bodyVi: 'Nội dung', body: 'Body', status: 'sent' as const, createdAt: iso(createdAt),
    }));
    await api.database.db.insert(notifications).values(rows);
    cleanup.push(() => api.database.db.delete(notifications).where(inArray(notifications.key, rows.map((r) => r.key))));
    await expectWalk(`/v1/notifications?agency=${agency}`, vpcp, 'id', [0, 2, 1, 3, 4].map((i) => `notice-${tag}-${i}`));
  });

  it('Art 16.5, 19.1: the TTHC catalogue (public) in code order (project rule: a catalogue, not a feed), every procedure once', async () => {
    const codes = ['3', '1', '5', '2', '4'].map((n) => `${tag}.00000${n}`);
    await api.database.db.insert(tthcProcedures).values(codes.map((code) => ({
      code, agency, currentVersion: 1, status: 'published' as const, name: 'Thủ tục', field: 'Hộ tịch', level: 'central' as const, implementingAgency: agency, updatedAt: new Date(),
    })));
    cleanup.push(() => api.database.db.delete(tthcProcedures).where(inArray(tthcProcedures.code, codes)));
    await expectWalk(`/v1/tthc/procedures?agency=${agency}`, undefined, 'code', [...codes].sort());
  });

  it('Art 28: DVCTT breaches, the latest breach first (ties: the later case, then clock key), every breach once, with the per-owner totals', async () => {
    const code = `svc-${tag}`;
    const workflowId = `dvctt-${tag}`;
    await api.database.db.insert(dvcttServices).values({ code, name: 'Dịch vụ', tthcCode: `TTHC-${tag}`, agency: 'BTP', level: 4, declaredBy: 'agency/BTP/paging', workflowId });
    cleanup.push(() => api.database.db.delete(dvcttServices).where(inArray(dvcttServices.code, [code])));
    const breached = ['2026-05-05T16:59:59.999Z', '2026-05-04T16:59:59.999Z', '2026-05-04T16:59:59.999Z', '2026-05-02T16:59:59.999Z', '2026-05-01T16:59:59.999Z'];
    for (const [i, at] of breached.entries()) {
      await insertClock(api.database.db, { workflowId, process: DVCTT_PROCESS, caseAgency: 'BTP', key: `review-${i}`, outcome: 'breached', dueAt: at, breachedAt: at });
    }
    cleanup.push(() => api.database.db.delete(slaClocks).where(inArray(slaClocks.workflowId, [workflowId])));
    await expectWalk(`/v1/dvctt/reports/breaches?serviceCode=${code}`, vpcp, 'clockKey', ['review-0', 'review-2', 'review-1', 'review-3', 'review-4']);
    const first = (await get(`/v1/dvctt/reports/breaches?serviceCode=${code}&pageSize=2`, vpcp)).json();
    expect(first.byOwner).toEqual([{ owner: 'VPCP', breaches: 5 }]);
  });

  it('Art 28: rounds per service, most rounds first (ties in code order), every service once', async () => {
    const rounds = [2, 4, 1, 4, 3];
    const codes = rounds.map((_, i) => `rounds-${tag}-${i}`);
    await api.database.db.insert(dvcttServices).values(codes.map((code) => ({ code, name: 'Dịch vụ', tthcCode: `TTHC-${tag}`, agency: 'BTP', level: 3, declaredBy: 'agency/BTP/paging', workflowId: `dvctt-${code}` })));
    await api.database.db.insert(dvcttRounds).values(codes.flatMap((code, i) => Array.from({ length: rounds[i]! }, (_, r) => ({
      serviceCode: code, round: r + 1, workflowId: `dvctt-${code}`, outcome: 'rejected' as const, proposedAt: new Date(), proposedBy: 'agency/BTP/paging', clockKeys: [], revision: 1,
    }))));
    cleanup.push(() => api.database.db.delete(dvcttServices).where(inArray(dvcttServices.code, codes)));
    cleanup.push(() => api.database.db.delete(dvcttRounds).where(inArray(dvcttRounds.serviceCode, codes)));
    // BTP's other services (other files) share the list: this file's appear once each, in their order, and the whole walk is ordered.
    const { items } = await walk('/v1/dvctt/reports/rounds?agency=BTP', vpcp, 2, 500);
    const keys = items.map((s) => [s.rounds as number, s.code as string] as const);
    expect(new Set(keys.map(([, c]) => c)).size).toBe(keys.length);
    for (let i = 1; i < keys.length; i++) {
      const [[r0, c0], [r1, c1]] = [keys[i - 1]!, keys[i]!];
      expect(r0 > r1 || (r0 === r1 && c0 < c1), `${c0} (${r0}) before ${c1} (${r1})`).toBe(true);
    }
    expect(keys.filter(([, c]) => codes.includes(c)).map(([, c]) => c)).toEqual([codes[1], codes[3], codes[4], codes[0], codes[2]]);

    // The counts follow the rounds in the same transaction (the trigger on dvctt_rounds): a round's
    // outcome changes, a round is added, another removed; the report matches a count over the rounds.
    await api.database.db.update(dvcttRounds).set({ outcome: 'passed' }).where(sql`${dvcttRounds.serviceCode} = ${codes[0]} and ${dvcttRounds.round} = 2`);
    await api.database.db.insert(dvcttRounds).values({ serviceCode: codes[2]!, round: 2, workflowId: `dvctt-${codes[2]}`, outcome: 'failed', proposedAt: new Date(), proposedBy: 'agency/BTP/paging', clockKeys: [], revision: 1 });
    await api.database.db.delete(dvcttRounds).where(sql`${dvcttRounds.serviceCode} = ${codes[1]} and ${dvcttRounds.round} = 4`);
    const counted = await api.database.db.execute(sql`
      select service_code as code, count(*)::int as rounds, (count(*) filter (where outcome = 'rejected'))::int as rejected,
             (count(*) filter (where outcome = 'failed'))::int as failed, (count(*) filter (where outcome = 'passed'))::int as passed
      from dvctt_rounds where service_code in ${codes} group by service_code`) as unknown as { code: string }[];
    const reported = (await walk('/v1/dvctt/reports/rounds?agency=BTP', vpcp, 100, 500)).items.filter((s) => codes.includes(s.code as string));
    expect(reported.map(({ code, rounds, rejected, failed, passed }) => ({ code, rounds, rejected, failed, passed })))
      .toEqual([...counted].sort((a, b) => (b as unknown as { rounds: number }).rounds - (a as unknown as { rounds: number }).rounds || (a.code < b.code ? -1 : 1)));
    expect(reported.find((s) => s.code === codes[0])).toMatchObject({ rounds: 2, rejected: 1, passed: 1 });
    expect(reported.find((s) => s.code === codes[2])).toMatchObject({ rounds: 2, rejected: 1, failed: 1 });
  });

  it('SPEC §3 (consistency checker): a report\'s findings page by cursor in the run\'s order, and the cursor stays on its run when a newer one finishes', async () => {
    const scope = `paging-${tag}-`;
    const run = () => ({
      scope, startedAt: new Date(), finishedAt: new Date(), fromWorkflowId: '', nextWorkflowId: '', cycleCompleted: true, casesChecked: 5, disagreements: 5, repaired: 0,
      byCause: { 'missing-clock-row': 5 }, findingsKept: 5,
    });
    const [older] = await api.database.db.insert(consistencyRuns).values(run()).returning({ id: consistencyRuns.id });
    cleanup.push(() => api.database.db.delete(consistencyRuns).where(sql`${consistencyRuns.scope} = ${scope}`));
    await api.database.db.insert(consistencyFindings).values([1, 2, 3, 4, 5].map((seq) => ({
      runId: older!.id, seq, workflowId: `${scope}case-${seq}`, cause: 'missing-clock-row', repair: 'none', detail: 'x', temporal: {}, projection: {},
    })));
    const url = `/v1/supervision/consistency?scope=${scope}&pageSize=2`;
    const first = (await get(url, auditor)).json();
    expect(first.run.id).toBe(older!.id);
    expect(first.findings).toMatchObject({ total: 5, nextCursor: expect.any(String) });
    // A newer run of the scope finishes between the pages: the walk goes on through the first one's findings.
    const [newer] = await api.database.db.insert(consistencyRuns).values(run()).returning({ id: consistencyRuns.id });
    const pages = [first];
    while (pages.at(-1)!.findings.nextCursor) pages.push((await get(`${url}&cursor=${pages.at(-1)!.findings.nextCursor}`, auditor)).json());
    expect(pages.map((p) => p.run.id)).toEqual([older!.id, older!.id, older!.id]);
    expect(pages.flatMap((p) => p.findings.items.map((f: { workflowId: string }) => f.workflowId))).toEqual([1, 2, 3, 4, 5].map((n) => `${scope}case-${n}`));
    expectTotalOnFirstPageOnly(pages.map((p) => p.findings));
    // The first page without a cursor shows the newer run; a cursor of a forgotten run is a 404 problem.
    expect((await get(url, auditor)).json().run.id).toBe(newer!.id);
    const gone = await get(`${url}&cursor=${encodeCursor([2_147_483_000, 1])}`, auditor);
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
  });

  it('Art 48.2: the grant history, newest grant first (microsecond instants, ties: the later id), every grant once', async () => {
    const officer = `paging-officer-${tag}`;
    await api.database.db.insert(officers).values({ agency: 'BTP', officer, name: 'Cán bộ', registeredBy: 'agency/BTP/admin' });
    const at = ['2026-05-05T01:00:00.000003Z', '2026-05-05T01:00:00.000002Z', '2026-05-05T01:00:00.000002Z', '2026-05-05T01:00:00.000001Z', '2026-05-01T01:00:00Z'];
    const inserted = await api.database.db.insert(permissionGrants).values(at.map((grantedAt) => ({
      agency: 'BTP', officer, permission: 'tthc.publish', validFrom: iso('2026-05-01T00:00:00.000Z'), grantedBy: 'agency/BTP/admin', reason: 'phân công',
      grantedAt: sql`${grantedAt}::timestamptz`,
    }))).returning({ id: permissionGrants.id });
    cleanup.push(() => api.database.db.delete(officers).where(sql`${officers.officer} = ${officer}`));
    cleanup.push(() => api.database.db.delete(permissionGrants).where(sql`${permissionGrants.officer} = ${officer}`));
    const ids = inserted.map((r) => r.id);
    const tied = [ids[1]!, ids[2]!].sort().reverse();
    await expectWalk(`/v1/permissions/grants?agency=BTP&officer=${officer}`, vpcp, 'id', [ids[0]!, ...tied, ids[3]!, ids[4]!]);
  });

  it('issue 18.3 (project rule): `?page` reads at most 10,000 rows deep by OFFSET; deeper is a 400 problem pointing to the cursor, on every list', async () => {
    for (const [url, actor] of [
      ['/v1/accounts/issues', vpcp], ['/v1/operations/support-requests', vpcp], ['/v1/operations/outages', vpcp], ['/v1/tthc/procedures', undefined],
      ['/v1/dvctt/reports/breaches', vpcp], ['/v1/permissions/grants', vpcp], ['/v1/supervision/breaches', vpcp], ['/v1/feedback/published', undefined],
    ] as const) {
      // Row 10,000 is the deepest start: page 201 of 50 still answers, page 202 of 50 is refused.
      expect((await get(`${url}?page=201&pageSize=50`, actor)).statusCode, url).toBe(200);
      const deep = await get(`${url}?page=202&pageSize=50`, actor);
      expect(deep.statusCode, url).toBe(400);
      expect(deep.json()).toMatchObject({ type: 'urn:dvcqg:problem:validation', errors: [{ path: 'page' }] });
      expect(deep.json().detail).toContain('cursor');
    }
  });

  it('issue 18.3: a cursor this API did not write is a 400 problem on every list', async () => {
    const forged = encodeCursor(['not an instant', 42]);
    for (const [url, actor] of [
      ['/v1/accounts/issues', vpcp], ['/v1/operations/support-requests', vpcp], ['/v1/operations/maintenance', vpcp], ['/v1/operations/outages', vpcp],
      ['/v1/evaluation/runs', vpcp], ['/v1/feedback/published', undefined], ['/v1/tthc/published-decisions', undefined], ['/v1/tthc/procedures', undefined],
      ['/v1/dvctt/reports/breaches', vpcp], ['/v1/dvctt/reports/rounds', vpcp], ['/v1/supervision/consistency', vpcp], ['/v1/permissions/grants', vpcp],
    ] as const) {
      for (const cursor of ['bm90IGpzb24', forged, 'A'.repeat(2_000)]) {
        const res = await get(`${url}?cursor=${cursor}`, actor);
        expect(res.statusCode, `${url} ${cursor.slice(0, 20)}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });
});
