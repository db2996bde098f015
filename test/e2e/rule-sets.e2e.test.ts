import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Actor } from '../../api/auth.js';
import { slaClocks } from '../../db/schema/index.js';
import { RULES_2020, RULES_2025_DRAFT } from '../../domain/rules/index.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

interface Item {
  itemId: string;
  workflowId: string;
  round: number;
  ruleSetId: string;
  clocks: { key: string; article: string; ruleSetId?: string }[];
}

describe('rule sets end to end: a feedback item pinned at receipt, moved by VPCP over HTTP', () => {
  let stack: E2eStack;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
  const vpcp: Actor = { userId: 'vpcp-officer', role: 'vpcp', agency: 'VPCP' };

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../../workflows/feedback.workflow.ts', import.meta.url) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 42.3 (2020) → Art 44.3 (2025): the item starts under the set in force, only VPCP moves it, later clocks follow the new set', async () => {
    const body = {
      sender: { name: 'Đỗ Thị Hoa', address: '3 Phan Chu Trinh, Huế', phone: '0977123456', email: 'hoa@example.vn', portalAccountId: uniqueId('acc') },
      content: 'Đề nghị công khai mức phí của thủ tục cấp bản sao trích lục hộ tịch.', agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
    };
    const submitted = await stack.call<{ id: string; workflowId: string }>('POST', '/v1/feedback', portal, body, { 'idempotency-key': uniqueId('key') });
    expect(submitted.status).toBe(201);
    const { id, workflowId } = submitted.body;
    const item = await eventually(async () => (await stack.call<Item>('GET', `/v1/feedback/${id}`, btp)).body, (i) => i.clocks.length >= 2);
    expect(item.ruleSetId).toBe(RULES_2020.id);
    expect(item.clocks.find((c) => c.key === 'classify#1')).toMatchObject({ article: 'Art 42.3', ruleSetId: RULES_2020.id });

    const move = (actor: Actor) => stack.call<{ id: string; changes: { from: string; to: string; by: string }[] }>('POST', `/v1/rule-sets/cases/${workflowId}`, actor,
      { ruleSetId: RULES_2025_DRAFT.id, reason: 'Quy chế mới áp dụng cho phản ánh đang xử lý' }, { 'idempotency-key': uniqueId('key') });
    expect((await move(btp)).status).toBe(403);
    const moved = await move(vpcp);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: RULES_2025_DRAFT.id, changes: [{ from: RULES_2020.id, to: RULES_2025_DRAFT.id, by: 'VPCP/vpcp-officer' }] });

    const transferred = await stack.call('POST', `/v1/feedback/${id}/classify`, btp, { decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế' });
    expect(transferred.status).toBe(200);
    const after = await eventually(async () => (await stack.call<Item>('GET', `/v1/feedback/${id}`, vpcp)).body, (i) => i.round === 2 && i.clocks.some((c) => c.key === 'classify#2'));
    expect(after.ruleSetId).toBe(RULES_2025_DRAFT.id);
    expect(after.clocks.find((c) => c.key === 'classify#2')).toMatchObject({ article: 'Art 44.3', ruleSetId: RULES_2025_DRAFT.id });

    // The projection behind the supervision lists and the dashboard names the rule set of every clock.
    const rows = await eventually(
      () => stack.database.db.select({ key: slaClocks.clockKey, article: slaClocks.article, ruleSetId: slaClocks.ruleSetId }).from(slaClocks).where(eq(slaClocks.workflowId, workflowId)),
      (r) => r.some((c) => c.key === 'classify#2'),
    );
    expect(rows.find((r) => r.key === 'classify#1')).toMatchObject({ article: 'Art 42.3', ruleSetId: RULES_2020.id });
    expect(rows.find((r) => r.key === 'classify#2')).toMatchObject({ article: 'Art 44.3', ruleSetId: RULES_2025_DRAFT.id });
    expect(rows.every((r) => r.ruleSetId !== null)).toBe(true);
  });
});
