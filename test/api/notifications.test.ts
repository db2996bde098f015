import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createNotificationActivities, loggingSender } from '../../activities/notifications.js';
import type { DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig, testDatabase, testLogger, uniqueId } from '../support/env.js';

interface NoticeDto {
  id: string;
  caseId: string | null;
  kind: string;
  recipientKind: string;
  recipient: string;
  subject: string;
  body: string;
  readAt: string | null;
  readBy: string | null;
}

describe('notices to agencies and banks (GET /v1/notifications)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  // This run's own agency and bank codes keep other files' notices out of the counts.
  const tag = uniqueId('n').slice(-10).toUpperCase();
  const agencyA = `A-${tag}`;
  const agencyB = `B-${tag}`;
  const bank = `K-${tag}`;
  const otherBank = `L-${tag}`;
  const officerA: Actor = { userId: 'officer-a', role: 'agency', agency: agencyA };
  const officerB: Actor = { userId: 'officer-b', role: 'agency', agency: agencyB };
  const banker: Actor = { userId: 'banker', role: 'bank', bank };
  const otherBanker: Actor = { userId: 'other-banker', role: 'bank', bank: otherBank };
  const vpcp: Actor = { userId: 'vpcp-supervisor', role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: 'auditor', role: 'auditor' };
  const caseA = `dvctt-${tag}`;
  const caseB = `payment-${tag}`;

  const headers = async (actor: Actor) => ({ authorization: await bearer(config, actor) });
  const list = async (actor: Actor, query = '') => app.inject({ method: 'GET', url: `/v1/notifications?${query}`, headers: await headers(actor) });
  const items = async (actor: Actor, query = '') => (await list(actor, query)).json().items as NoticeDto[];
  const read = async (actor: Actor, id: string) => app.inject({ method: 'POST', url: `/v1/notifications/${encodeURIComponent(id)}/read`, headers: await headers(actor) });

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
    // Through the same outbox activity the processes use.
    const { sendNotification } = createNotificationActivities(database.db, loggingSender(testLogger()));
    const message = { subjectVi: 'Thông báo', subject: 'Notice', bodyVi: 'Nội dung', body: 'Body' };
    await sendNotification({ ...message, key: `${caseA}:round1:published:portal`, workflowId: caseA, channel: 'portal', recipient: agencyA, template: 'dvctt.published' });
    await sendNotification({ ...message, key: `${caseA}:round1:live:portal`, workflowId: caseA, channel: 'portal', recipient: agencyA, template: 'dvctt.live' });
    await sendNotification({ ...message, key: `${caseB}:debited:portal`, workflowId: caseB, channel: 'portal', recipient: agencyB, template: 'payment.debited' });
    await sendNotification({ ...message, key: `${caseB}:refund:portal`, workflowId: caseB, channel: 'portal', recipient: bank, recipientKind: 'bank', template: 'refund.requested' });
    // A citizen's SMS on the same case is not a notice of a party of the Portal.
    await sendNotification({ ...message, key: `${caseA}:receipt:sms`, workflowId: caseA, channel: 'sms', recipient: '0912345678', template: 'feedback.receipt' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('SPEC §1: an agency reads its own notices, each linked to its case, newest first', async () => {
    const res = await list(officerA);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 2, page: 1, pageSize: 50 });
    expect(res.json().items.map((n: NoticeDto) => [n.kind, n.caseId, n.recipientKind, n.recipient])).toEqual([
      ['dvctt.live', caseA, 'agency', agencyA], ['dvctt.published', caseA, 'agency', agencyA],
    ]);
    expect((await items(officerB)).map((n) => n.kind)).toEqual(['payment.debited']);
    expect((await items(officerA, 'kind=dvctt.live')).map((n) => n.id)).toEqual([`${caseA}:round1:live:portal`]);
    expect((await list(officerA, 'pageSize=1&page=2')).json()).toMatchObject({ total: 2, items: [{ kind: 'dvctt.published' }] });
  });

  it('SPEC §1: a bank reads only its own notices', async () => {
    expect((await items(banker)).map((n) => [n.kind, n.caseId])).toEqual([['refund.requested', caseB]]);
    expect(await items(otherBanker)).toEqual([]);
  });

  it('SPEC §1: VPCP reads every notice to an agency or a bank (never a citizen\'s message) and filters by case', async () => {
    expect((await items(vpcp, `caseId=${caseA}`)).map((n) => n.kind)).toEqual(['dvctt.live', 'dvctt.published']);
    expect((await items(vpcp, `caseId=${caseB}`)).map((n) => n.recipient).sort()).toEqual([agencyB, bank].sort());
    expect((await items(vpcp, `agency=${agencyA}`))).toHaveLength(2);
    expect((await items(auditor, `bank=${bank}`)).map((n) => n.kind)).toEqual(['refund.requested']);
  });

  it("SPEC §1: naming another agency's or bank's notices is refused (403 wrong-scope), as is a role without notices", async () => {
    for (const res of [await list(officerA, `agency=${agencyB}`), await list(banker, `bank=${otherBank}`)]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().type).toBe('urn:dvcqg:problem:wrong-scope');
    }
    const portal = await list({ userId: 'portal', role: 'portal' });
    expect(portal.statusCode).toBe(403);
    expect(portal.json().type).toBe('urn:dvcqg:problem:wrong-role');
  });

  it('marking read: only the addressee, once (idempotent), and the unread filter follows', async () => {
    const id = `${caseA}:round1:published:portal`;
    const refused = await read(officerB, id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('urn:dvcqg:problem:wrong-scope');
    expect((await read(vpcp, id)).statusCode).toBe(403);
    expect((await read(officerA, 'no-such-notice')).statusCode).toBe(404);
    // A citizen's message is no notice: 404, whoever asks.
    expect((await read(officerA, `${caseA}:receipt:sms`)).statusCode).toBe(404);

    const first = await read(officerA, id);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id, readBy: 'officer-a', readAt: expect.any(String) });
    const again = await read({ ...officerA, userId: 'officer-a2' }, id);
    expect(again.json()).toMatchObject({ readBy: 'officer-a', readAt: first.json().readAt });
    expect((await items(officerA, 'unread=true')).map((n) => n.kind)).toEqual(['dvctt.live']);
    expect((await items(officerA, 'unread=false')).map((n) => n.kind)).toEqual(['dvctt.published']);
    expect((await read(banker, `${caseB}:refund:portal`)).json()).toMatchObject({ readBy: 'banker' });
  });

  it('Art 33.7: a bank that VPCP suspends or stops is told so, with the reason; no other bank sees it', async () => {
    const vpcpHeaders = await headers(vpcp);
    const registered = await app.inject({ method: 'PUT', url: `/v1/banks/${bank}`, headers: vpcpHeaders, payload: { name: 'Test Bank', nameVi: 'Ngân hàng thử nghiệm', kind: 'bank' } });
    expect(registered.statusCode).toBe(201);
    const suspended = await app.inject({ method: 'POST', url: `/v1/banks/${bank}/suspend`, headers: vpcpHeaders, payload: { reason: 'Chậm chuyển tiền nhiều lần / repeated late settlements' } });
    expect(suspended.statusCode).toBe(200);
    const stopped = await app.inject({ method: 'POST', url: `/v1/banks/${bank}/stop`, headers: vpcpHeaders, payload: { reason: 'Không khắc phục / not fixed' } });
    expect(stopped.statusCode).toBe(200);

    const notices = await items(banker, 'unread=true');
    expect(notices.map((n) => [n.kind, n.caseId, n.recipientKind, n.recipient])).toEqual([
      ['bank.stopped', null, 'bank', bank], ['bank.suspended', null, 'bank', bank],
    ]);
    expect(notices[1]?.body).toContain('Art 33.7');
    expect(notices[1]?.body).toContain('repeated late settlements');
    expect(notices[1]?.body).toContain('payments in flight complete');
    expect((await items(otherBanker)).filter((n) => n.kind.startsWith('bank.'))).toEqual([]);
    expect((await read(banker, notices[0]!.id)).statusCode).toBe(200);
  });
});
