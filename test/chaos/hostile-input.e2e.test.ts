import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, uniqueId } from '../support/env.js';

interface Item {
  status: string;
  actionSeq: number;
  actionsAllowed: string[];
}

/**
 * Issue 12 (Done when): hostile input aimed at a live case — a NUL byte, an impossible date, a
 * 200-character id, JSON nested 5,000 deep — is answered with a 400/404 problem at once and leaves
 * the case actionable: nothing recorded, not "busy", and the next valid action goes through. (A NUL
 * in a classify reason used to wedge the item for good: its projection activity retried without end
 * while holding the action gate.) Real worker, dev server and PostgreSQL, through HTTP.
 */
describe('hostile input on a live feedback item (Art 42–43): refused as a problem, the case stays actionable', () => {
  let stack: E2eStack;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp: Actor = { userId: uniqueId('officer-btp'), role: 'agency', agency: 'BTP' };
  const submission = {
    sender: { name: 'Lê Văn Cường', address: '20 Nguyễn Huệ, TP. Hồ Chí Minh', phone: '0901234567', email: 'cuong@example.vn', portalAccountId: uniqueId('acc') },
    content: 'Đề nghị công khai đầy đủ thành phần hồ sơ của thủ tục chứng thực bản sao điện tử.',
    agency: 'BTP', tthcCode: '2.000815', category: 'tthc-not-published', channel: 'portal',
  };
  const call = <T = Item>(method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) =>
    stack.call<T>(method, `/v1/feedback${path}`, actor, body, headers);
  /** A raw body (not JSON.stringify'd by the helper): the nesting is the point. */
  const raw = async (path: string, actor: Actor, text: string) => {
    const res = await fetch(`${stack.baseUrl}/v1/feedback${path}`, {
      method: 'POST', headers: { authorization: await bearer(stack.config, actor), 'content-type': 'application/json' }, body: text,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { type: string } };
  };
  const expectProblem = (res: { status: number; headers: Headers; body: unknown }, status: number, kind: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((res.body as { type: string }).type).toBe(`urn:dvcqg:problem:${kind}`);
  };

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../../workflows/feedback.workflow.ts', import.meta.url) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 43: a NUL byte, an impossible date, a 200-character id and 5,000-deep JSON are 400/404 problems; the item records nothing and takes the next valid action', async () => {
    const submitted = await call<{ id: string }>('POST', '', portal, submission, { 'idempotency-key': uniqueId('key') });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;
    const received = await eventually(async () => (await call('GET', `/${id}`, btp)).body, (i) => i.actionsAllowed?.includes('classify') === true);
    const unchanged = async (seq: number, status: string) => {
      const now = (await call('GET', `/${id}`, btp)).body;
      expect(now).toMatchObject({ actionSeq: seq, status });
      return now;
    };

    // A NUL byte in the reason (the input that wedged a case).
    expectProblem(await call('POST', `/${id}/classify`, btp, { decision: 'clarify', reason: 'x\u0000y' }), 400, 'validation');
    // JSON nested 5,000 deep, as the body of the same action.
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    expectProblem(await raw(`/${id}/classify`, btp, `{"decision":"accept","reason":${deep}}`), 400, 'validation');
    // A 200-character id: not a feedback item id (24 hex digits) here; a case id the router takes
    // elsewhere, naming no case.
    expectProblem(await call('POST', `/${'f'.repeat(200)}/classify`, btp, { decision: 'accept' }), 400, 'validation');
    expectProblem(await stack.call('POST', `/v1/payments/${'p'.repeat(200)}/cancel`, btp, { reason: 'nhầm hồ sơ' }), 404, 'not-found');
    await unchanged(received.actionSeq, 'received');

    // The item takes its next action at once (not "busy"), and the one after.
    const accepted = await call('POST', `/${id}/classify`, btp, { decision: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('processing');
    const processing = await eventually(async () => (await call('GET', `/${id}`, btp)).body, (i) => i.actionsAllowed?.includes('result') === true);

    // An impossible date (30 February) in the result, and a NUL in its text.
    expectProblem(await call('POST', `/${id}/result`, btp, { answer: 'Bộ Tư pháp đã cập nhật thành phần hồ sơ.', resultObtainedAt: '2026-02-30T08:00:00+07:00' }), 400, 'validation');
    expectProblem(await call('POST', `/${id}/result`, btp, { answer: 'Bộ Tư pháp\u0000 đã cập nhật.', resultObtainedAt: new Date().toISOString() }), 400, 'validation');
    await unchanged(processing.actionSeq, 'processing');
    const entered = await call('POST', `/${id}/result`, btp, { answer: 'Bộ Tư pháp đã cập nhật thành phần hồ sơ trên Cơ sở dữ liệu quốc gia về TTHC.', resultObtainedAt: new Date().toISOString() });
    expect(entered.status).toBe(200);
    expect(entered.body.status).toBe('in-review');
  });
});
