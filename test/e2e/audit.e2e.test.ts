import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createWorker } from '../../runtime/worker.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import type { Timeline } from '../../domain/audit/timeline.js';
import { slaClocksQuery, type ClockSpec } from '../../workflows/sla.definitions.js';
import { completeCaseUpdate, forwardCaseUpdate } from '../fixtures/audit-case.workflow.js';
import { bearer, eventually, testConfig, testLogger, uniqueId, workflowBundle } from '../support/env.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('audit end to end: HTTP → Temporal dev server history → timeline, export, verify, replay, supervision', () => {
  const config = testConfig();
  const fixturesQueue = uniqueId('tq');
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let connection: Connection;
  let client: Client;
  let baseUrl: string;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
  const officer = { userId: uniqueId('btp-officer'), role: 'agency' as const, agency: 'BTP' };
  const spec: ClockSpec = {
    key: 'handle', article: 'Art 42.3a', step: 'The agency handles the case', stepVi: 'Cơ quan xử lý hồ sơ',
    owner: 'BTP', ownerKind: 'agency', amount: 1, unit: 'workingDays', stage: 'handling',
  };
  const call = async (path: string, actor: Actor, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: await bearer(config, actor), ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    const deps = { db: database.db, logger: testLogger() };
    const options = { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, deps };
    const fixtures = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../fixtures/audit-workflows.ts', import.meta.url)), logger: quiet });
    for (const [taskQueue, bundle] of [[config.TASK_QUEUE, await workflowBundle()], [fixturesQueue, fixtures]] as const) {
      const { worker } = await createWorker({ ...options, taskQueue, workflowBundle: bundle });
      workers.push({ worker, running: worker.run() });
    }
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await connection?.close();
    await database?.close();
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

    const res = await call(`/v1/audit/workflows/${id}/timeline`, auditor);
    expect(res.status).toBe(200);
    const timeline = (await res.json()) as Timeline;
    expect(timeline.runs.map((r) => r.closedAs)).toEqual(['continuedAsNew', 'completed']);
    expect(timeline.entries.filter((e) => e.kind === 'action').map((e) => [e.update?.name, e.actor?.userId])).toEqual([
      ['forwardCaseUpdate', officer.userId], ['completeCaseUpdate', officer.userId],
    ]);
    expect(timeline.entries.find((e) => e.kind === 'clock.met')?.clock).toMatchObject({ key: 'handle', outcome: 'met', completedBy: 'BTP' });

    const exported = await call(`/v1/audit/workflows/${id}/history`, auditor);
    const bytes = await exported.text();
    const hash = exported.headers.get('x-content-sha256');
    const offline = execFileSync('sh', ['-c', "jq -cj '{format, workflowId, runs: [.runs[] | {runId, history}]}' | sha256sum"], { input: bytes }).toString().split(' ')[0];
    expect(offline).toBe(hash);
    const verified = await call('/v1/audit/verify', auditor, { method: 'POST', body: bytes });
    expect(await verified.json()).toMatchObject({ verdict: 'authentic', hashMatches: true, issuedByServer: true });
    const tampered = bytes.replace('"EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"', '"EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"');
    expect(tampered).not.toBe(bytes);
    const caught = await call('/v1/audit/verify', auditor, { method: 'POST', body: tampered });
    expect(await caught.json()).toMatchObject({ verdict: 'tampered', hashMatches: false });
  }, 120_000);

  it('the deployed diagnostic workflow replays against the deployed code', async () => {
    const id = uniqueId('diagnostic');
    await client.workflow.execute('diagnosticWorkflow', { taskQueue: config.TASK_QUEUE, workflowId: id, args: [{ requestedBy: 'audit-e2e' }] });
    const res = await call(`/v1/audit/workflows/${id}/replay`, auditor, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, runs: [{ ok: true }] });
  }, 120_000);

  it('a supervisor goes from "due soon" to the case timeline in two clicks', async () => {
    const id = uniqueId('due-soon');
    const handle = await client.workflow.start('slaFixtureWorkflow', { taskQueue: fixturesQueue, workflowId: id, args: [{ agency: 'BTP', spec: { ...spec, key: 'review' } }] });
    await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
    const listed = await call('/v1/audit/supervisor?format=json&process=fixture', vpcp);
    const due = ((await listed.json()) as { dueSoon: { items: { workflowId: string }[] } }).dueSoon.items.find((r) => r.workflowId === id);
    expect(due).toMatchObject({ caseAgency: 'BTP', owner: 'BTP', clockKey: 'review', article: 'Art 42.3a' });

    const { supervisorUrl } = (await (await call('/v1/audit/view-token', vpcp, { method: 'POST' })).json()) as { supervisorUrl: string };
    // Click 1: the supervisor page (no Authorization header, as a browser would open the link).
    const page = await fetch(`${baseUrl}${new URL(supervisorUrl).pathname}${new URL(supervisorUrl).search}&process=fixture`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Sắp đến hạn');
    expect(html).toContain(`${config.TEMPORAL_UI_URL}/namespaces/default/workflows/${id}`);
    const href = html.match(new RegExp(`href="(/v1/audit/workflows/${id}/timeline[^"]*)"`))?.[1]?.replaceAll('&amp;', '&');
    // Click 2: the case timeline, with the clock, its article, owner and due instant.
    const timeline = await fetch(`${baseUrl}${href}`);
    expect(timeline.status).toBe(200);
    const text = await timeline.text();
    expect(text).toContain('Bắt đầu tính thời hạn: review (Art 42.3a)');
    expect(text).toContain('Trách nhiệm / owner: <b>BTP</b>');
    await handle.terminate('test done');
  }, 120_000);
});
