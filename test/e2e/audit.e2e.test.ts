import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { Actor } from '../../api/auth.js';
import type { Timeline } from '../../domain/audit/timeline.js';
import { slaClocksQuery, type ClockSpec } from '../../workflows/sla.definitions.js';
import { completeCaseUpdate, forwardCaseUpdate } from '../fixtures/audit-case.workflow.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, uniqueId, terminateWhenIdle } from '../support/env.js';

describe('audit end to end: HTTP → Temporal dev server history → timeline, export, verify, replay, supervision', () => {
  const fixturesQueue = uniqueId('tq');
  let stack: E2eStack;
  let client: Client;
  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
  const officer = { userId: uniqueId('btp-officer'), role: 'agency' as const, agency: 'BTP' };
  const spec: ClockSpec = {
    key: 'handle', article: 'Art 42.3a', step: 'The agency handles the case', stepVi: 'Cơ quan xử lý hồ sơ',
    owner: 'BTP', ownerKind: 'agency', amount: 1, unit: 'workingDays', stage: 'handling',
  };

  beforeAll(async () => {
    stack = await startE2e({ extraWorkers: [{ taskQueue: fixturesQueue, workflowsPath: new URL('../fixtures/audit-workflows.ts', import.meta.url) }] });
    client = stack.app.temporal;
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('an auditor sees, exports, verifies offline and online, the complete timeline of a case that continued as new', async () => {
    const id = uniqueId('audit-e2e');
    const handle = await client.workflow.start('auditCaseWorkflow', { taskQueue: fixturesQueue, workflowId: id, args: [{ agency: 'BTP', startedBy: officer, spec }] });
    await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
    await handle.executeUpdate(forwardCaseUpdate, { args: [{ actor: officer, note: 'sent on' }] });
    const latest = client.workflow.getHandle(id);
    await eventually(() => latest.describe().then((d) => d.runId), (runId) => runId !== handle.firstExecutionRunId);
    await latest.executeUpdate(completeCaseUpdate, { args: [{ actor: officer }] });
    await latest.result();

    const res = await stack.call<Timeline>('GET', `/v1/audit/workflows/${id}/timeline`, auditor);
    expect(res.status).toBe(200);
    const timeline = res.body;
    expect(timeline.runs.map((r) => r.closedAs)).toEqual(['continuedAsNew', 'completed']);
    expect(timeline.entries.filter((e) => e.kind === 'action').map((e) => [e.update?.name, e.actor?.userId])).toEqual([
      ['forwardCaseUpdate', officer.userId], ['completeCaseUpdate', officer.userId],
    ]);
    expect(timeline.entries.find((e) => e.kind === 'clock.met')?.clock).toMatchObject({ key: 'handle', outcome: 'met', completedBy: 'BTP' });

    // The exact bytes served: the offline check hashes what the auditor downloaded.
    const exported = await fetch(`${stack.baseUrl}/v1/audit/workflows/${id}/history`, { headers: { authorization: await bearer(stack.config, auditor) } });
    const bytes = await exported.text();
    const hash = exported.headers.get('x-content-sha256');
    const offline = JSON.parse(execFileSync('npx', ['tsx', 'scripts/verify-export.ts', '-', '--expect', hash ?? ''], { input: bytes }).toString());
    expect(offline).toMatchObject({ verdict: 'intact', computedSha256: hash });
    const verified = await stack.call('POST', '/v1/audit/verify', auditor, JSON.parse(bytes));
    expect(verified.body).toMatchObject({ verdict: 'authentic', hashMatches: true, issuedByServer: true });
    const tampered = bytes.replace('"EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"', '"EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"');
    expect(tampered).not.toBe(bytes);
    const caught = await stack.call('POST', '/v1/audit/verify', auditor, JSON.parse(tampered));
    expect(caught.body).toMatchObject({ verdict: 'tampered', hashMatches: false });
  }, 120_000);

  it('the deployed diagnostic workflow replays against the deployed code', async () => {
    const id = uniqueId('diagnostic');
    await client.workflow.execute('diagnosticWorkflow', { taskQueue: stack.config.TASK_QUEUE, workflowId: id, args: [{ requestedBy: 'audit-e2e' }] });
    const res = await stack.call('POST', `/v1/audit/workflows/${id}/replay`, auditor);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, runs: [{ ok: true }] });
  }, 120_000);

  it('a supervisor goes from "due soon" to the case timeline in two clicks', async () => {
    const id = uniqueId('due-soon');
    const handle = await client.workflow.start('slaFixtureWorkflow', { taskQueue: fixturesQueue, workflowId: id, args: [{ agency: 'BTP', spec: { ...spec, key: 'review' } }] });
    await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
    const listed = await stack.call<{ dueSoon: { items: { workflowId: string }[] } }>('GET', '/v1/audit/supervisor?format=json&process=fixture', vpcp);
    const due = listed.body.dueSoon.items.find((r) => r.workflowId === id);
    expect(due).toMatchObject({ caseAgency: 'BTP', owner: 'BTP', clockKey: 'review', article: 'Art 42.3a' });

    const { supervisorUrl } = (await stack.call<{ supervisorUrl: string }>('POST', '/v1/audit/view-token', vpcp)).body;
    // Click 1: the supervisor page (no Authorization header, as a browser would open the link).
    const page = await fetch(`${stack.baseUrl}${new URL(supervisorUrl).pathname}${new URL(supervisorUrl).search}&process=fixture`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Sắp đến hạn');
    expect(html).toContain(`${stack.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${id}`);
    const href = html.match(new RegExp(`href="(/v1/audit/workflows/${id}/timeline[^"]*)"`))?.[1]?.replaceAll('&amp;', '&');
    // Click 2: the case timeline, with the clock, its article, owner and due instant.
    const timeline = await fetch(`${stack.baseUrl}${href}`);
    expect(timeline.status).toBe(200);
    const text = await timeline.text();
    expect(text).toContain('Bắt đầu tính thời hạn: review (Art 42.3a)');
    expect(text).toContain('Trách nhiệm / owner: <b>BTP</b>');
    await terminateWhenIdle(handle);
  }, 120_000);
});
