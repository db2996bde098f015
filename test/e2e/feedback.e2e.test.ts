import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like } from 'drizzle-orm';
import type { Actor } from '../../api/auth.js';
import { listFeedbackActions } from '../../db/queries/feedback.js';
import { auditReads, feedbackItems, notifications, tthcProcedures } from '../../db/schema/index.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

interface Item {
  itemId: string;
  workflowId: string;
  status: string;
  agency: string;
  reviewingAgency: string;
  round: number;
  receivedAt: string;
  submission: { content: string; sender: Record<string, string | undefined> };
  closedReason?: string;
  actionSeq: number;
  actionsAllowed: string[];
  clocks: { key: string; outcome: string; owner: string }[];
  clockHistory?: { key: string; outcome: string }[];
  escalatedFrom?: string;
}

describe('citizen feedback end to end: HTTP → Temporal dev server → worker → PostgreSQL', () => {
  let stack: E2eStack;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
  const btpReviewer: Actor = { userId: 'reviewer-btp', role: 'agency', agency: 'BTP' };
  const byt: Actor = { userId: 'officer-byt', role: 'agency', agency: 'BYT' };
  const vpcp: Actor = { userId: 'vpcp-officer', role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };
  const account = uniqueId('acc');
  const submission = {
    sender: { name: 'Lê Văn Cường', address: '20 Nguyễn Huệ, TP. Hồ Chí Minh', phone: '0901234567', email: 'cuong@example.vn', portalAccountId: account },
    content: 'Đề nghị công khai đầy đủ thành phần hồ sơ của thủ tục chứng thực bản sao điện tử.',
    agency: 'BTP',
    tthcCode: '2.000815',
    category: 'tthc-not-published',
    channel: 'portal',
  };

  const call = <T = Item>(method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) =>
    stack.call<T>(method, `/v1/feedback${path}`, actor, body, headers);
  const submit = (key: string, body: unknown = submission, actor: Actor = portal) =>
    call<{ id: string; agency: string; status: string; replayed: boolean }>('POST', '', actor, body, { 'idempotency-key': key });
  const act = (id: string, action: string, actor: Actor, body: unknown = {}) => call('POST', `/${id}/${action}`, actor, body);
  const ready = (id: string, actor: Actor, ok: (i: Item) => boolean) =>
    eventually(async () => (await call('GET', `/${id}`, actor)).body, ok);

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../../workflows/feedback.workflow.ts', import.meta.url) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 42–45: an officer runs an item from receipt to published answer over HTTP; a retried submission returns the same item; the citizen disagrees → VPCP', async () => {
    const key = uniqueId('key');
    const first = await submit(key);
    expect(first.status).toBe(201);
    const replay = await submit(key);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: first.body.id, replayed: true });
    const reused = await submit(key, { ...submission, content: 'Một nội dung khác hẳn, cùng khoá idempotency.' });
    expect(reused.status).toBe(409);
    const id = first.body.id;

    const received = await ready(id, btp, (i) => i.clocks.length >= 2);
    expect(received).toMatchObject({ status: 'received', agency: 'BTP', reviewingAgency: 'BTP', actionsAllowed: ['classify', 'progress', 'escalate', 'state-secret'] });
    expect(received.clocks.map((c) => c.key).sort()).toEqual(['answer#1', 'classify#1']);

    // Other agency: cannot see, cannot act, and nothing changes.
    expect((await call('GET', `/${id}`, byt)).status).toBe(403);
    // Issue 14.5 (Decision 274 level 4): every read of the sender's data is in the audit trail, the refusal too.
    const reads = await stack.database.db.select().from(auditReads)
      .where(and(eq(auditReads.workflowId, `feedback-${id}`), eq(auditReads.action, 'personal-data')));
    expect(reads.filter((r) => r.userId === btp.userId && r.outcome === 'granted').length).toBeGreaterThan(0);
    expect(reads.filter((r) => r.userId === byt.userId).map((r) => r.outcome)).toEqual(['denied']);
    expect((await act(id, 'classify', byt, { decision: 'accept' })).status).toBe(403);
    expect((await act(id, 'classify', auditor, { decision: 'accept' })).status).toBe(403);
    const wrongState = await act(id, 'publish', btp, { publicQuestion: 'Đề nghị công khai thành phần hồ sơ.' });
    expect(wrongState.status).toBe(409);
    const noReason = await act(id, 'classify', btp, { decision: 'reject' });
    expect(noReason.status).toBe(400);
    expect((await call('GET', `/${id}`, btp)).body.actionSeq).toBe(received.actionSeq);
    const unknownAgency = await act(id, 'classify', btp, { decision: 'transfer', toAgency: 'NO-SUCH', reason: 'x' });
    expect(unknownAgency.status).toBe(422);

    expect((await act(id, 'classify', btp, { decision: 'accept' })).body.status).toBe('processing');
    const entered = await act(id, 'result', btp, { answer: 'Bộ Tư pháp đã cập nhật thành phần hồ sơ trên Cơ sở dữ liệu quốc gia về TTHC.', resultObtainedAt: new Date().toISOString() });
    expect(entered.body.status).toBe('in-review');
    expect((await act(id, 'review', btp, { decision: 'approve' })).status).toBe(403);
    expect((await act(id, 'review', btpReviewer, { decision: 'approve' })).body.status).toBe('approved');
    // Project rule (Art 45.1): the officer approves a public version of the question; one that still
    // names the sender or carries their phone is refused and changes nothing.
    expect((await act(id, 'publish', btpReviewer)).status).toBe(400);
    const leaky = await act(id, 'publish', btpReviewer, { publicQuestion: 'Ông Lê Văn Cường (0901 234 567) đề nghị công khai thành phần hồ sơ.' });
    expect(leaky.status).toBe(400);
    expect(JSON.stringify(leaky.body)).toMatch(/name, phone/);
    expect((await call('GET', `/${id}`, btp)).body.status).toBe('approved');
    const publicQuestion = 'Đề nghị công khai đầy đủ thành phần hồ sơ của thủ tục chứng thực bản sao điện tử.';
    const published = await act(id, 'publish', btpReviewer, { publicQuestion: `  ${publicQuestion} ` });
    expect(published.status).toBe(200);
    expect(published.body.status).toBe('published');

    const publicList = await call<{ items: { itemId: string; question: string; answer: string }[] }>('GET', '/published?agency=BTP&pageSize=200');
    const answer = publicList.body.items.find((a) => a.itemId === id);
    expect(answer?.answer).toContain('đã cập nhật thành phần hồ sơ');
    expect(answer?.question).toBe(publicQuestion);
    expect(JSON.stringify(answer)).not.toContain('cuong@example.vn');
    expect(JSON.stringify(answer)).not.toContain('Cường');
    const sent = await stack.database.db.select().from(notifications).where(like(notifications.key, `feedback-${id}:%`));
    expect(sent.map((n) => n.key.split(':').slice(1).join(':')).sort()).toEqual(['published:email', 'published:sms', 'receipt:email', 'receipt:sms']);
    const actions = await listFeedbackActions(stack.database.db, `feedback-${id}`);
    expect(actions.map((a) => `${a.action}:${a.actorUserId}`)).toEqual([
      'submit:portal-frontend', 'classify:officer-btp', 'result:officer-btp', 'review:reviewer-btp', 'publish:reviewer-btp',
    ]);
    const closed = await call('GET', `/${id}`, auditor);
    expect(closed.body.clockHistory?.map((c) => `${c.key}:${c.outcome}`).sort()).toEqual(['answer#1:met', 'classify#1:met', 'resultEntry#1.1:met']);
    expect((await act(id, 'progress', btp, { note: 'x' })).status).toBe(409);

    // Art 42.3đ: the citizen disagrees and writes again → a linked item handled by VPCP.
    const reopen = await call<{ id: string }>('POST', `/${id}/reopen`, portal, { content: 'Tôi không đồng ý: thành phần hồ sơ vẫn thiếu tờ khai.', portalAccountId: account }, { 'idempotency-key': uniqueId('reopen') });
    expect(reopen.status).toBe(201);
    const escalated = await ready(reopen.body.id, vpcp, (i) => i.clocks.length >= 2);
    expect(escalated).toMatchObject({ agency: 'VPCP', escalatedFrom: id, status: 'received' });
    expect(escalated.clocks.every((c) => c.owner === 'VPCP')).toBe(true);
    const otherAccount = await call('POST', `/${id}/reopen`, portal, { content: 'Một người khác viết lại lần nữa.', portalAccountId: 'acc-other' }, { 'idempotency-key': uniqueId('reopen') });
    expect(otherAccount.status).toBe(403);
  });

  it('Art 42.3b–c: clarification, the citizen\'s supplement through the Portal, and a transfer the competent agency then sees in its list', async () => {
    const { body: { id } } = await submit(uniqueId('key'));
    await ready(id, btp, (i) => i.clocks.length >= 2);
    expect((await act(id, 'classify', btp, { decision: 'clarify', reason: 'Đề nghị nêu rõ tên thủ tục.' })).body.status).toBe('awaiting-supplement');
    expect((await act(id, 'supplement', portal, { content: 'Thủ tục chứng thực bản sao điện tử từ bản chính.', portalAccountId: 'acc-someone-else' })).status).toBe(403);
    expect((await act(id, 'supplement', portal, { content: 'Thủ tục chứng thực bản sao điện tử từ bản chính.', portalAccountId: account })).status).toBe(200);
    const round2 = await ready(id, btp, (i) => i.round === 2 && i.clocks.some((c) => c.key === 'classify#2'));
    expect(round2.status).toBe('received');
    const sent = await stack.database.db.select().from(notifications).where(like(notifications.key, `feedback-${id}:supplementRequest#1:%`));
    expect(sent).toHaveLength(2);

    const transferred = await act(id, 'classify', btp, { decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc phạm vi quản lý của Bộ Y tế' });
    expect(transferred.status).toBe(200);
    const atByt = await ready(id, byt, (i) => i.clocks.some((c) => c.key === 'classify#3'));
    expect(atByt.agency).toBe('BYT');
    // The item's own receipt instant bounds the list to it (and at most a few items received in the same millisecond).
    const receivedAt = new Date(atByt.receivedAt);
    const window = `?from=${encodeURIComponent(receivedAt.toISOString())}&to=${encodeURIComponent(new Date(receivedAt.getTime() + 1).toISOString())}`;
    const ids = async (actor: typeof btp) => {
      const res = await call<{ items: { itemId: string; agency: string }[] }>('GET', window, actor);
      expect(res.status).toBe(200);
      return res.body.items.filter((i) => i.itemId === id).map((i) => i.agency);
    };
    await eventually(() => ids(byt), (agencies) => agencies.length === 1 && agencies[0] === 'BYT');
    // BTP still sees the item it handled; an uninvolved agency does not.
    expect(await ids(btp)).toEqual(['BYT']);
    expect(await ids({ userId: 'x', role: 'agency', agency: 'BCT' })).toEqual([]);
    expect((await act(id, 'classify', btp, { decision: 'accept' })).status).toBe(403);
    // Every agency that handled the case opens its timeline (BTP received and transferred it); others do not.
    const timeline = `/v1/audit/workflows/${encodeURIComponent(atByt.workflowId)}/timeline`;
    expect((await stack.call('GET', timeline, byt)).status).toBe(200);
    expect((await stack.call('GET', timeline, btp)).status).toBe(200);
    expect((await stack.call('GET', timeline, { userId: 'x', role: 'agency', agency: 'BCT' })).status).toBe(403);
  });

  it('Art 45.1–45.2: VPCP checks the answer to an item it transferred, returns it once and publishes it; the handling agency may neither approve nor publish', async () => {
    const { body: { id } } = await submit(uniqueId('key'), { ...submission, agency: 'VPCP' });
    await ready(id, vpcp, (i) => i.clocks.length >= 2);
    expect((await act(id, 'classify', vpcp, { decision: 'transfer', toAgency: 'BTP', reason: 'Thuộc thẩm quyền Bộ Tư pháp' })).status).toBe(200);
    await ready(id, btp, (i) => i.clocks.some((c) => c.key === 'classify#2'));
    await act(id, 'classify', btp, { decision: 'accept' });
    const entered = await act(id, 'result', btp, { answer: 'Bộ Tư pháp trả lời lần 1.', resultObtainedAt: new Date().toISOString() });
    expect(entered.body).toMatchObject({ status: 'in-review', agency: 'BTP', reviewingAgency: 'VPCP' });
    const own = await act(id, 'review', btpReviewer, { decision: 'approve' });
    expect(own.status).toBe(403);
    expect(JSON.stringify(own.body)).toContain('Art 45.1');
    expect((await act(id, 'review', vpcp, { decision: 'return', reason: 'Chưa trả lời về thành phần hồ sơ.' })).body.status).toBe('processing');
    await act(id, 'result', btp, { answer: 'Bộ Tư pháp trả lời lần 2: đã bổ sung thành phần hồ sơ.', resultObtainedAt: new Date().toISOString() });
    expect((await act(id, 'review', vpcp, { decision: 'approve' })).body.status).toBe('approved');
    const publicVersion = { publicQuestion: 'Đề nghị công khai thành phần hồ sơ của thủ tục.' };
    expect((await act(id, 'publish', btpReviewer, publicVersion)).status).toBe(403);
    expect((await act(id, 'publish', vpcp, publicVersion)).body.status).toBe('published');
    const actions = await listFeedbackActions(stack.database.db, `feedback-${id}`);
    expect(actions.filter((a) => ['review', 'publish'].includes(a.action)).map((a) => `${a.action}:${a.actorAgency}`)).toEqual(['review:VPCP', 'review:VPCP', 'publish:VPCP']);
  });

  it('Art 42.3đ, 44.3: the handler escalates to VPCP during processing; VPCP, finding state secrets, takes the item off the system with that reason', async () => {
    const { body: { id } } = await submit(uniqueId('key'));
    await ready(id, btp, (i) => i.clocks.length >= 2);
    await act(id, 'classify', btp, { decision: 'accept' });
    expect((await act(id, 'escalate', btp, { ground: 'government-authority' })).status).toBe(400);
    expect((await act(id, 'escalate', byt, { ground: 'government-authority', reason: 'x' })).status).toBe(403);
    const escalated = await act(id, 'escalate', btp, { ground: 'government-authority', reason: 'Thuộc thẩm quyền quyết định của Thủ tướng Chính phủ.' });
    expect(escalated.status).toBe(200);
    const atVpcp = await ready(id, vpcp, (i) => i.clocks.some((c) => c.key === 'classify#2'));
    expect(atVpcp).toMatchObject({ agency: 'VPCP', round: 2, status: 'received' });
    expect((await act(id, 'escalate', vpcp, { ground: 'government-authority', reason: 'x' })).status).toBe(409);

    expect((await act(id, 'state-secret', btp)).status).toBe(403);
    const removed = await act(id, 'state-secret', vpcp);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ status: 'state-secret', submission: { content: '' } });
    expect(removed.body.closedReason).toContain('Art 44.3');
    expect(JSON.stringify(removed.body)).not.toContain('cuong@example.vn');
    const [row] = await stack.database.db.select().from(feedbackItems).where(eq(feedbackItems.itemId, id));
    expect(row).toMatchObject({ status: 'state-secret', content: '', senderEmail: null });
    expect((await act(id, 'progress', vpcp, { note: 'x' })).status).toBe(409);
  });

  it('Art 42.2b, 39.3: an officer types in a paper item with the sender\'s name and address only — accepted, and no SMS or e-mail is attempted', async () => {
    const paper = { ...submission, channel: 'paper', sender: { name: 'Phạm Thị Dung', address: 'Thôn 3, xã Tân Lập, tỉnh Phú Thọ' } };
    const res = await submit(uniqueId('key'), paper, btp);
    expect(res.status).toBe(201);
    expect(res.body.agency).toBe('BTP');
    const item = await ready(res.body.id, btp, (i) => i.clocks.length >= 2);
    expect(item.submission.sender).toEqual({ name: 'Phạm Thị Dung', address: 'Thôn 3, xã Tân Lập, tỉnh Phú Thọ' });
    const sent = await stack.database.db.select().from(notifications).where(like(notifications.key, `feedback-${res.body.id}:%`));
    expect(sent).toEqual([]);
  });

  it('Art 25.3: an agency reports wrong TTHC data of another agency — the item goes to the TTHC\'s owner', async () => {
    const code = `T25.${uniqueId('c').slice(-8)}`;
    await stack.database.db.insert(tthcProcedures).values({
      code, agency: 'BTP', currentVersion: 1, status: 'published', name: 'Chứng thực bản sao từ bản chính', field: 'Chứng thực', level: 'central',
      implementingAgency: 'Phòng Tư pháp', updatedAt: new Date(),
    });
    const report = {
      sender: { name: 'Vụ Pháp chế, Bộ Y tế', address: '138A Giảng Võ, Hà Nội' }, agency: 'BTC', tthcCode: code, category: 'tthc-publication-mismatch', channel: 'agency-report',
      content: 'Thành phần hồ sơ công bố trên Cơ sở dữ liệu quốc gia khác với thành phần hồ sơ niêm yết tại nơi giải quyết.',
    };
    const res = await submit(uniqueId('key'), report, byt);
    expect(res.status).toBe(201);
    expect(res.body.agency).toBe('BTP');
    const item = await ready(res.body.id, btp, (i) => i.clocks.length >= 2);
    expect(item).toMatchObject({ agency: 'BTP', receivingAgency: 'BTP', status: 'received' });
    expect(item.clocks.every((c) => c.owner === 'BTP')).toBe(true);
    // A paper item for another agency is still refused: only a report on TTHC data crosses agencies.
    expect((await submit(uniqueId('key'), { ...report, channel: 'paper', agency: 'BTP' }, byt)).status).toBe(403);
  });
});
