import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, desc, eq } from 'drizzle-orm';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { mintViewToken } from '../../api/routes/audit/view-token.js';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { auditReads } from '../../db/schema/index.js';
import { buildExport, type HistoryExport } from '../../domain/audit/export.js';
import type { Timeline, TimelineEntry } from '../../domain/audit/timeline.js';
import type { ClockSpec } from '../../workflows/sla.definitions.js';
import { completeCaseUpdate, forwardCaseUpdate } from '../fixtures/audit-case.workflow.js';
import { bearer, testConfig, testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle } from '../support/env.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

const spec: ClockSpec = {
  key: 'handle', article: 'Art 42.3a', step: 'The agency handles the case', stepVi: 'Cơ quan xử lý hồ sơ',
  owner: 'BTP', ownerKind: 'agency', amount: 2, unit: 'workingDays', stage: 'handling',
};

describe('audit API (time-skipping server, real activities, PostgreSQL)', () => {
  const config = testConfig();
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let app: FastifyInstance;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  // The deployed code runs on the app's own queue: the replay job (auditReplayWorkflow) runs there.
  const queues = { fixtures: uniqueId('tq'), changed: uniqueId('tq'), deployed: config.TASK_QUEUE };

  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const byt: Actor = { userId: uniqueId('byt-officer'), role: 'agency', agency: 'BYT' };
  const bank: Actor = { userId: uniqueId('bank'), role: 'bank', bank: 'VCB' };
  const as = async (actor: Actor) => ({ authorization: await bearer(config, actor) });

  /** A BTP case that ran through continue-as-new, missed its deadline and was completed late. */
  let caseId: string;

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
    const activities = createActivities({ db: database.db, logger: testLogger(), temporal: env.client });
    const bundles = await Promise.all([
      bundleWorkflowCode({ workflowsPath: fixture('audit-workflows.ts'), logger: quiet }),
      bundleWorkflowCode({ workflowsPath: fixture('audit-changed.workflow.ts'), logger: quiet }),
      workflowBundle(),
    ]);
    for (const [i, taskQueue] of [queues.fixtures, queues.changed, queues.deployed].entries()) {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundles[i], activities });
      workers.push({ worker, running: worker.run() });
    }
    app = await buildApp(config, { db: database.db, temporal: env.client }, false);

    caseId = uniqueId('audit-case');
    const officer = { userId: btp.userId, role: 'agency' as const, agency: 'BTP' };
    const handle = await env.client.workflow.start('auditCaseWorkflow', {
      taskQueue: queues.fixtures, workflowId: caseId, args: [{ agency: 'BTP', startedBy: officer, spec }],
    });
    await env.sleep('2 hours');
    await handle.executeUpdate(forwardCaseUpdate, { args: [{ actor: officer, note: 'sent to the legal department' }] });
    await env.sleep('30 days');
    const latest = env.client.workflow.getHandle(caseId);
    await latest.executeUpdate(completeCaseUpdate, { args: [{ actor: officer, note: 'answered' }] });
    await latest.result();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await env?.teardown();
    await database?.close();
  });

  const timeline = async (id: string, actor: Actor = auditor) => app.inject({ method: 'GET', url: `/v1/audit/workflows/${id}/timeline`, headers: await as(actor) });
  const reads = (workflowId: string) => database.db.select().from(auditReads).where(eq(auditReads.workflowId, workflowId));

  describe('timeline', () => {
    it('reads every run after continue-as-new: actions with actor, the clock with its rule and calendar, the breach, the late completion, the notification', async () => {
      const res = await timeline(caseId);
      expect(res.statusCode).toBe(200);
      const body = res.json() as Timeline & { agency: string; links: { temporalUi: string } };
      expect(body.workflowType).toBe('auditCaseWorkflow');
      expect(body.runs.map((r) => r.closedAs)).toEqual(['continuedAsNew', 'completed']);
      expect(body.links.temporalUi).toBe(`${config.TEMPORAL_UI_URL}/namespaces/default/workflows/${caseId}`);
      const kinds = body.entries.map((e) => e.kind);
      expect(kinds[0]).toBe('case.started');
      expect(kinds.at(-1)).toBe('case.completed');
      // One run ends by continuing as new; the second run's entries follow it.
      const cut = kinds.indexOf('case.continuedAsNew');
      expect(body.entries[cut]?.runId).toBe(body.runs[0]?.runId);
      expect(body.entries[cut + 1]?.runId).toBe(body.runs[1]?.runId);

      const actions = body.entries.filter((e) => e.kind === 'action');
      expect(actions.map((a) => a.update?.name)).toEqual(['forwardCaseUpdate', 'completeCaseUpdate']);
      for (const a of actions) {
        expect(a.actor).toEqual({ userId: btp.userId, role: 'agency', agency: 'BTP' });
        expect(a.update?.status).toBe('completed');
      }

      const started = body.entries.find((e) => e.kind === 'clock.started') as TimelineEntry;
      expect(started.clock).toMatchObject({ key: 'handle', article: 'Art 42.3a', owner: 'BTP', amount: 2, unit: 'workingDays', step: spec.step, stepVi: spec.stepVi });
      expect(started.clock?.calendarVersion).toBeGreaterThanOrEqual(1);
      expect(started.clock?.rule).toMatch(/Civil Code/);
      expect(Date.parse(started.clock?.dueAt ?? '')).toBeGreaterThan(Date.parse(started.at));

      // The breach happened in the second run, at the due instant recorded when the clock started.
      const breach = body.entries.find((e) => e.kind === 'clock.breached') as TimelineEntry;
      expect(breach.runId).toBe(body.runs[1]?.runId);
      expect(breach.clock?.breachedAt).toBe(started.clock?.dueAt);
      const late = body.entries.find((e) => e.kind === 'clock.completedLate') as TimelineEntry;
      expect(late.clock?.completedBy).toBe('BTP');
      expect(late.clock?.lateByMinutes).toBeGreaterThan(0);
      expect(body.clocks).toEqual([expect.objectContaining({ key: 'handle', outcome: 'breached', breachedAt: started.clock?.dueAt })]);

      const sent = body.entries.find((e) => e.kind === 'notification') as TimelineEntry;
      expect(sent.notification).toMatchObject({ channel: 'email', recipient: 'citizen@example.vn', template: 'case-completed', status: 'sent' });
      expect(kinds.indexOf('clock.completedLate')).toBeLessThan(kinds.indexOf('notification'));
    });

    it('renders a readable HTML page in Vietnamese with English alongside', async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/timeline`, headers: { ...(await as(vpcp)), accept: 'text/html' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.body).toContain('Diễn biến hồ sơ');
      expect(res.body).toContain('Case timeline');
      expect(res.body).toContain('Quá hạn: handle (Art 42.3a)');
      expect(res.body).toContain('Deadline missed: handle (Art 42.3a)');
      expect(res.body).toContain(btp.userId);
      expect(res.body).toContain(`/namespaces/default/workflows/${caseId}`);
    });

    it('an unknown case is 404', async () => {
      const res = await timeline(uniqueId('nope'));
      expect(res.statusCode).toBe(404);
      expect(res.json().type).toBe('urn:dvcqg:problem:not-found');
    });
  });

  describe('access', () => {
    it('an agency reads its own case; another agency gets 403 and the refusal is itself logged', async () => {
      expect((await timeline(caseId, btp)).statusCode).toBe(200);
      const denied = await timeline(caseId, byt);
      expect(denied.statusCode).toBe(403);
      expect(denied.json().type).toBe('urn:dvcqg:problem:wrong-scope');
      const rows = await reads(caseId);
      expect(rows.find((r) => r.userId === byt.userId)).toMatchObject({ action: 'timeline', outcome: 'denied', role: 'agency', agency: 'BYT' });
      expect(rows.find((r) => r.userId === btp.userId)).toMatchObject({ action: 'timeline', outcome: 'granted' });
    });

    it('every audit read is logged with who, what, when', async () => {
      const before = Date.now();
      await timeline(caseId, auditor);
      const [row] = await database.db.select().from(auditReads).where(and(eq(auditReads.workflowId, caseId), eq(auditReads.userId, auditor.userId))).orderBy(desc(auditReads.at)).limit(1);
      expect(row).toMatchObject({ role: 'auditor', action: 'timeline', outcome: 'granted' });
      expect(row?.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(row?.requestId).toBeTruthy();
    });

    it('other roles get 403, no token 401, and an agency cannot read cases of no agency', async () => {
      expect((await timeline(caseId, bank)).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/timeline` })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/history` })).statusCode).toBe(401);
      const diag = uniqueId('diagnostic');
      await env.client.workflow.execute('diagnosticWorkflow', { taskQueue: queues.deployed, workflowId: diag, args: [{ requestedBy: 'audit-test' }] });
      expect((await timeline(diag, btp)).statusCode).toBe(403);
      expect((await timeline(diag, auditor)).statusCode).toBe(200);
    });
  });

  describe('history export and verification', () => {
    let exported: HistoryExport;
    let raw: string;

    beforeAll(async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/history`, headers: await as(auditor) });
      expect(res.statusCode).toBe(200);
      raw = res.body;
      exported = res.json() as HistoryExport;
      expect(res.headers['x-content-sha256']).toBe(exported.sha256);
    });

    const verify = async (body: unknown, actor: Actor = auditor) =>
      app.inject({ method: 'POST', url: '/v1/audit/verify', headers: await as(actor), payload: body as object });

    it('exports every run in the temporal CLI JSON format, with a SHA-256 an auditor can recompute offline', async () => {
      expect(exported.runs).toHaveLength(2);
      const [first] = exported.runs[0]?.history.events ?? [];
      expect(first).toMatchObject({ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' });
      expect(exported.runs[1]?.history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      expect(exported.runs[1]?.previousSha256).toBe(exported.runs[0]?.sha256);
      expect(exported.sha256).toBe(exported.runs[1]?.sha256);
      // The documented offline check, on the exact bytes received.
      const offline = JSON.parse(execFileSync('npx', ['tsx', 'scripts/verify-export.ts', '-', '--expect', exported.sha256], { input: raw }).toString());
      expect(offline).toMatchObject({ verdict: 'intact', computedSha256: exported.sha256 });
      const [row] = await database.db.select().from(auditReads).where(and(eq(auditReads.workflowId, caseId), eq(auditReads.action, 'history')));
      expect(row?.sha256).toBe(exported.sha256);
    });

    it('an untouched export verifies as authentic', async () => {
      const res = await verify(exported);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ hashMatches: true, issuedByServer: true, verdict: 'authentic', computedSha256: exported.sha256 });
    });

    it('a tampered export is detected by its hash', async () => {
      const tampered = structuredClone(exported);
      const event = tampered.runs[1]?.history.events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED') as Record<string, unknown>;
      event.eventTime = '2020-01-01T00:00:00Z';
      const res = await verify(tampered);
      expect(res.json()).toMatchObject({ hashMatches: false, verdict: 'tampered' });
      expect(res.json().computedSha256).not.toBe(exported.sha256);
    });

    it('the same closed run exports with the same SHA-256 every time (RFC 8785 canonical form)', async () => {
      const again = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/history`, headers: await as(auditor) });
      expect((again.json() as HistoryExport).sha256).toBe(exported.sha256);
    });

    it('a tampered export whose hashes were all recomputed is not one this server issued', async () => {
      const forged = structuredClone(exported);
      const event = forged.runs[1]?.history.events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED') as Record<string, unknown>;
      event.eventTime = '2020-01-01T00:00:00Z';
      const rechained = buildExport(forged.workflowId, forged.runs.map((r) => ({ runId: r.runId, history: r.history, source: 'temporal' as const })));
      const res = await verify(rechained);
      expect(res.json()).toMatchObject({ hashMatches: true, chainComplete: true, issuedByServer: false, verdict: 'unknown-origin' });
    });

    it('an export with a run dropped or the runs reordered is detected, even with its hashes recomputed', async () => {
      const rechain = (runs: HistoryExport['runs']) => buildExport(exported.workflowId, runs.map((r) => ({ runId: r.runId, history: r.history, source: 'temporal' as const })));
      const dropped = await verify(rechain(exported.runs.slice(1)));
      expect(dropped.json()).toMatchObject({ hashMatches: true, chainComplete: false, verdict: 'incomplete' });
      const reordered = await verify(rechain([...exported.runs].reverse()));
      expect(reordered.json()).toMatchObject({ chainComplete: false, verdict: 'incomplete' });
      const lastDropped = await verify(rechain(exported.runs.slice(0, 1)));
      expect(lastDropped.json()).toMatchObject({ chainComplete: false, verdict: 'incomplete' });
    });

    it('another agency may not export the case', async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/history`, headers: await as(byt) });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('replay', () => {
    it('a case run by the deployed code replays without divergence', async () => {
      const id = uniqueId('diagnostic');
      await env.client.workflow.execute('diagnosticWorkflow', { taskQueue: queues.deployed, workflowId: id, args: [{ requestedBy: 'audit-test' }] });
      const res = await app.inject({ method: 'POST', url: `/v1/audit/workflows/${id}/replay`, headers: await as(auditor) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ workflowType: 'diagnosticWorkflow', ok: true, runs: [{ ok: true }] });
    }, 120_000);

    it('a case recorded by incompatible code is reported with its determinism violation', async () => {
      const id = uniqueId('diagnostic');
      await env.client.workflow.execute('diagnosticWorkflow', { taskQueue: queues.changed, workflowId: id, args: [{ requestedBy: 'audit-test' }] });
      const res = await app.inject({ method: 'POST', url: `/v1/audit/workflows/${id}/replay`, headers: await as(vpcp) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.ok).toBe(false);
      expect(body.runs[0].error.name).toBe('DeterminismViolationError');
      expect(body.runs[0].error.message).toMatch(/nondetermin/i);
      const [row] = await database.db.select().from(auditReads).where(and(eq(auditReads.workflowId, id), eq(auditReads.action, 'replay')));
      expect(row?.detail).toMatch(/^diverged/);
    }, 120_000);
  });

  describe('supervisor view and view tokens', () => {
    it('lists the breach by agency and process, linking to its timeline and to the Temporal Web UI', async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/audit/supervisor?format=json&process=audit-fixture', headers: await as(vpcp) });
      expect(res.statusCode).toBe(200);
      const row = res.json().breaches.items.find((r: { workflowId: string }) => r.workflowId === caseId);
      expect(row).toMatchObject({ caseAgency: 'BTP', owner: 'BTP', article: 'Art 42.3a', clockKey: 'handle', timeline: `/v1/audit/workflows/${caseId}/timeline` });
      expect(row.temporalUi).toContain(`/workflows/${caseId}`);
      const other = await app.inject({ method: 'GET', url: '/v1/audit/supervisor?format=json&process=audit-fixture', headers: await as(byt) });
      expect(other.json().breaches.items.find((r: { workflowId: string }) => r.workflowId === caseId)).toBeUndefined();
    });

    it('a browser follows supervisor → timeline with a short-lived view token; the token is no bearer token', async () => {
      const minted = await app.inject({ method: 'POST', url: '/v1/audit/view-token', headers: await as(vpcp) });
      expect(minted.statusCode).toBe(200);
      const { token, expiresAt, supervisorUrl } = minted.json();
      expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
      const page = await app.inject({ method: 'GET', url: new URL(supervisorUrl).pathname + new URL(supervisorUrl).search + '&process=audit-fixture' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Vi phạm thời hạn');
      const href = page.body.match(new RegExp(`href="(/v1/audit/workflows/${caseId}/timeline[^"]*)"`))?.[1]?.replaceAll('&amp;', '&');
      expect(href).toContain(`token=${encodeURIComponent(token)}`);
      const timelinePage = await app.inject({ method: 'GET', url: href as string });
      expect(timelinePage.statusCode).toBe(200);
      expect(timelinePage.body).toContain('Quá hạn');
      // As a bearer token it opens nothing (signed with a key for this purpose only).
      const asBearer = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/timeline`, headers: { authorization: `Bearer ${token}` } });
      expect(asBearer.statusCode).toBe(401);
      // And only the page routes accept it.
      const history = await app.inject({ method: 'GET', url: `/v1/audit/workflows/${caseId}/history?token=${token}` });
      expect(history.statusCode).toBe(401);
    });

    it('an expired or forged view token is refused', async () => {
      const expired = await mintViewToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, vpcp, new Date(Date.now() - 60 * 60_000));
      expect((await app.inject({ method: 'GET', url: `/v1/audit/supervisor?token=${expired.token}` })).statusCode).toBe(401);
      const forged = await mintViewToken({ secret: 'another-secret-another-secret-another', issuer: config.AUTH_JWT_ISSUER }, vpcp);
      expect((await app.inject({ method: 'GET', url: `/v1/audit/supervisor?token=${forged.token}` })).statusCode).toBe(401);
    });
  });
});
