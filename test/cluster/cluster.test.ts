import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type * as Proto from '@temporalio/proto';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import postgres from 'postgres';
import { authConfigOf, mintToken, type Actor } from '../../api/auth.js';
import { payloadCodecsFor } from '../../codec/encryption.js';
import { decodeHistory } from '../../codec/history.js';
import { loadConfig, type AppConfig } from '../../config/index.js';
import { historyFromJson, historyToJson } from '../../domain/audit/proto-json.js';
import { workflowTypeOf } from '../../domain/audit/history-files.js';
import { dvcttWorkflowId } from '../../workflows/dvctt.definitions.js';
import { feedbackWorkflowId } from '../../workflows/feedback.definitions.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { tthcDecisionWorkflowId } from '../../workflows/tthc.definitions.js';
import { dropClusterDatabases, startCluster, type Cluster } from '../../scripts/cluster.js';
import { createDatabase } from '../../db/client.js';
import { publishDecision } from '../../db/queries/tthc.js';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/temporal-server.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { eventually, quietBundle, uniqueId } from '../support/env.js';
import { createFakeBankSigner } from '../support/fake-bank.js';

const { temporal } = proto;
type History = Proto.temporal.api.history.v1.IHistory;

const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const btpReviewer: Actor = { userId: 'reviewer-btp', role: 'agency', agency: 'BTP' };
const vpcp: Actor = { userId: 'vpcp-officer', role: 'vpcp', agency: 'VPCP' };
const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
const bankCode = `CL${uniqueId('').slice(1, 7)}`.toUpperCase();
const bankSigner = createFakeBankSigner(bankCode);
const bank: Actor = { userId: 'bank-api', role: 'bank', bank: bankCode };

/** One case driven through HTTP to its end state, and how to read that state back. */
interface Case {
  process: string;
  workflowId: string;
  /** Reads the state name of the case (through the API; a reconciliation run through Temporal). */
  state(): Promise<string>;
  end: string;
}

describe(`production topology: temporal-server ${TEMPORAL_SERVER_VERSION} on PostgreSQL, the API and two workers as separate processes`, () => {
  const stamp = `${Date.now()}_${process.pid}`;
  const databases = { app: `dvcqg_cluster_${stamp}`, persistence: `temporal_${stamp}`, visibility: `temporal_visibility_${stamp}` };
  const dir = mkdtempSync(join(tmpdir(), 'dvcqg-cluster-'));
  let cluster: Cluster;
  let config: AppConfig;
  let client: Client;
  const tokens = new Map<Actor, Promise<string>>();
  /** Every case the suite drove, for the end-state and replay checks. */
  const cases: Case[] = [];
  /** The TTHC the DVCTT cases declare their services for. */
  const dvcttTthc = tthcTestCode('CLD');

  beforeAll(async () => {
    // mTLS as in compose: this run's CA, the server's certificate and one per holder (api, worker, admin).
    const tlsDir = join(dir, 'certs');
    execFileSync('bash', ['scripts/temporal-certs.sh', tlsDir], { stdio: 'ignore' });
    const started = Date.now();
    // The first run builds the server from the Go module proxy (minutes); later runs reuse it.
    cluster = await startCluster({
      databases,
      workers: 2,
      dir,
      tlsDir,
      env: { LOG_LEVEL: 'info', RATE_LIMIT_PER_TOKEN: '1000000', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    });
    console.log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s: server ${cluster.temporalAddress} (mTLS), API ${cluster.apiUrl}, workers ${cluster.workers.map((w) => w.identity).join(', ')}`);
    config = loadConfig(cluster.env);
    client = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress, tls: cluster.clientTls }), namespace: cluster.namespace });
    expect((await call(vpcp, 'PUT', `/v1/banks/${bankCode}`, { name: `Bank ${bankCode}`, nameVi: `Ngân hàng ${bankCode}`, kind: 'bank', receiptCertificate: bankSigner.certificatePem })).status).toBe(201);
    // Art 27.1, 28.1: online services are declared for a TTHC BTP published (its publication transaction).
    const database = createDatabase(config.DATABASE_URL, { max: 1 });
    try {
      const decisionId = uniqueId('BTP.cluster');
      await publishDecision(database.db, {
        decisionId, workflowId: `wf-${decisionId}`, agency: 'BTP', agencyKind: 'ministry', items: [{ kind: 'new', code: dvcttTthc, content: fullContent('Cấp phiếu lý lịch tư pháp') }],
        signedOn: '2026-01-05', effectiveOn: '2026-03-01',
      });
    } finally {
      await database.close();
    }
  }, 20 * 60_000);

  // The run's logs and captured histories stay when a test failed (or with KEEP_TEST_DB).
  let failed = false;
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await client?.connection.close();
    if (cluster) await cluster.destroy();
    else await dropClusterDatabases(databases);
    if (failed || process.env.KEEP_TEST_DB) console.log(`cluster logs and histories kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  async function call<T = Record<string, unknown>>(actor: Actor, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    if (!tokens.has(actor)) tokens.set(actor, mintToken(authConfigOf(config), actor));
    const res = await fetch(`${cluster.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${await tokens.get(actor)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * A state-changing request, retried with its Idempotency-Key (so it is applied once) while the
   * answer is "not yet": 202 (the case has not answered in time), 409 busy, 503, or no answer at all.
   */
  async function act<T = Record<string, unknown>>(actor: Actor, method: string, path: string, body: unknown = {}, key = uniqueId('k')): Promise<T> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await call<T & { type?: string }>(actor, method, path, body, { 'idempotency-key': key }).catch((err: unknown) => ({ status: 0, body: { type: String(err) } as T & { type?: string } }));
      if (res.status === 200 || res.status === 201) return res.body;
      const retry = res.status === 0 || res.status === 202 || res.status === 503 || res.body?.type === 'urn:dvcqg:problem:busy';
      if (!retry || Date.now() > deadline) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * An action on an open case, sent once the case is at rest (no workflow task and no activity
   * pending), as an officer acting on what the case shows. An update arriving together with an
   * activity completion of the case's own main code, in a workflow task that had timed out on a dead
   * worker, hits a known defect below this project (test/cluster/update-race-replay.test.ts).
   */
  async function actOn<T = Record<string, unknown>>(workflowId: string, actor: Actor, method: string, path: string, body: unknown = {}): Promise<T> {
    await eventually(
      async () => (await client.workflow.getHandle(workflowId).describe()).raw,
      (d) => !d.pendingWorkflowTask && (d.pendingActivities ?? []).length === 0,
      180_000,
    );
    return act<T>(actor, method, path, body);
  }

  const read = async (actor: Actor, path: string, field: string) => {
    const res = await call(actor, 'GET', path);
    return res.status === 200 ? String(res.body[field]) : `HTTP ${res.status}`;
  };

  /** Art 31–33: request → payer's bank → debit → receipt → settlement (T+1), every callback through HTTP. */
  async function payment(): Promise<Case> {
    const created = await act<{ paymentId: string }>(btp, 'POST', '/v1/payments', {
      agency: 'BTP', requestRef: uniqueId('cl'), dossierCode: 'H01.23-000777', feeTypeCode: 'LEPHI-HT', amount: 150_000,
      beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
    });
    const id = created.paymentId;
    const c: Case = { process: 'payment', workflowId: id, end: 'settled', state: () => read(btp, `/v1/payments/${id}`, 'status') };
    cases.push(c);
    await actOn(id, portal, 'POST', `/v1/payments/${id}/payer-bank`, { bank: bankCode });
    const debitedAt = new Date().toISOString();
    await actOn(id, bank, 'POST', `/v1/payments/${id}/callbacks/debit`, { callbackId: `${id}-d`, bankTxnRef: `FT-${id.slice(-12)}`, amount: 150_000, debitedAt });
    await actOn(id, bank, 'POST', `/v1/payments/${id}/callbacks/receipt`, {
      callbackId: `${id}-r`,
      document: bankSigner.signReceipt({ receiptNo: `CT-${id.slice(-12)}`, paymentId: id, bank: bankCode, bankTxnRef: `FT-${id.slice(-12)}`, amount: 150_000, debitedAt }),
    });
    await actOn(id, bank, 'POST', `/v1/payments/${id}/callbacks/settlement`, { callbackId: `${id}-s`, transferRef: `TT-${id.slice(-12)}`, amount: 150_000 });
    return c;
  }

  /** Art 42–45: received → accepted → result → reviewed by another officer → published. */
  async function feedback(): Promise<Case> {
    const { id } = await act<{ id: string }>(portal, 'POST', '/v1/feedback', {
      sender: { name: 'Lê Văn Cường', address: '20 Nguyễn Huệ, TP. Hồ Chí Minh', phone: '0901234567', email: 'cuong@example.vn', portalAccountId: uniqueId('acc') },
      content: 'Đề nghị công khai đầy đủ thành phần hồ sơ của thủ tục chứng thực bản sao điện tử.',
      agency: 'BTP', tthcCode: '2.000815', category: 'tthc-not-published', channel: 'portal',
    });
    const c: Case = { process: 'feedback', workflowId: feedbackWorkflowId(id), end: 'published', state: () => read(btp, `/v1/feedback/${id}`, 'status') };
    cases.push(c);
    await actOn(c.workflowId, btp, 'POST', `/v1/feedback/${id}/classify`, { decision: 'accept' });
    await actOn(c.workflowId, btp, 'POST', `/v1/feedback/${id}/result`, { answer: 'Bộ Tư pháp đã cập nhật thành phần hồ sơ.', resultObtainedAt: new Date().toISOString() });
    await actOn(c.workflowId, btpReviewer, 'POST', `/v1/feedback/${id}/review`, { decision: 'approve' });
    await actOn(c.workflowId, btpReviewer, 'POST', `/v1/feedback/${id}/publish`, { publicQuestion: 'Đề nghị công khai thành phần hồ sơ của thủ tục.' });
    return c;
  }

  /** Art 27–28: a DVCTT service declared, proposed, approved, tested and confirmed live. */
  async function dvctt(): Promise<Case> {
    const code = uniqueId('DVC-BTP');
    await act(btp, 'POST', '/v1/dvctt/services', { code, name: 'Cấp phiếu lý lịch tư pháp', tthcCode: dvcttTthc, agency: 'BTP', level: 4 });
    const c: Case = { process: 'dvctt', workflowId: dvcttWorkflowId(code), end: 'live', state: () => read(vpcp, `/v1/dvctt/services/${code}`, 'status') };
    cases.push(c);
    // The proposal starts the case (the declaration is a catalogue row).
    await act(btp, 'POST', `/v1/dvctt/services/${code}/propose`);
    await actOn(c.workflowId, vpcp, 'POST', `/v1/dvctt/services/${code}/review`, { decision: 'approve' });
    await actOn(c.workflowId, btp, 'POST', `/v1/dvctt/services/${code}/test-report`, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: ['H01-0001'] });
    await actOn(c.workflowId, vpcp, 'POST', `/v1/dvctt/services/${code}/confirm`, { result: 'pass' });
    return c;
  }

  /** Art 16.3–16.5: a TTHC decision entered, checked and published into the catalogue. */
  async function tthcDecision(): Promise<Case> {
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const { decisionId } = await act<{ decisionId: string }>(btp, 'POST', '/v1/tthc/decisions', {
      agency: 'BTP', number: `${uniqueId('cl')}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực hộ tịch',
      authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01',
    });
    const c: Case = { process: 'tthc', workflowId: tthcDecisionWorkflowId(decisionId), end: 'published', state: () => read(btp, `/v1/tthc/decisions/${decisionId}`, 'stage') };
    cases.push(c);
    await actOn(c.workflowId, btp, 'POST', `/v1/tthc/decisions/${decisionId}/items`, { items: [{ kind: 'new', code: tthcTestCode('CL'), content: fullContent('Đăng ký khai tử') }] });
    await actOn(c.workflowId, btp, 'POST', `/v1/tthc/decisions/${decisionId}/check`);
    await actOn(c.workflowId, btp, 'POST', `/v1/tthc/decisions/${decisionId}/publish`);
    return c;
  }

  /** Art 34: VPCP reconciles a day; the run ends as a completed workflow and a reconciled day. */
  async function reconciliation(): Promise<Case> {
    const txnDate = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const res = await call<{ workflowId: string }>(vpcp, 'POST', '/v1/reconciliation/runs', { txnDate });
    expect(res.status).toBe(202);
    const c: Case = {
      process: 'reconciliation', workflowId: res.body.workflowId, end: 'COMPLETED',
      state: async () => (await client.workflow.getHandle(res.body.workflowId).describe()).status.name,
    };
    cases.push(c);
    return c;
  }

  const allReachEnd = (batch: Case[], timeoutMs = 240_000) =>
    eventually(
      () => Promise.all(batch.map(async (c) => `${c.workflowId}: ${await c.state()}`)),
      (states) => states.every((s, i) => s.endsWith(`: ${batch[i]!.end}`)),
      timeoutMs,
    );

  async function historyOf(workflowId: string, runId?: string): Promise<History> {
    const raw = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return decodeHistory(raw, payloadCodecsFor(config));
  }

  /** Identities of the workers that started each activity task of a history. */
  const activityWorkers = (history: History) =>
    (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : []));
  /** Who started each workflow and activity task of a history, and when. */
  const tasks = (history: History) =>
    (history.events ?? []).flatMap((e) => {
      const identity = e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity;
      return identity ? [{ identity, at: Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6 }] : [];
    });

  it('the server requires a client certificate of its CA (mTLS, as compose configures it)', async () => {
    const plaintext = await Connection.connect({ address: cluster.temporalAddress, connectTimeout: '2 seconds' }).then(
      async (c) => c.workflowService.getSystemInfo({}).finally(() => c.close()),
    ).then(() => 'connected', () => 'refused');
    expect(plaintext).toBe('refused');
    const withoutCertificate = await Connection.connect({
      address: cluster.temporalAddress, connectTimeout: '2 seconds', tls: { ...cluster.clientTls, clientCertPair: undefined },
    }).then(async (c) => c.workflowService.getSystemInfo({}).finally(() => c.close())).then(() => 'connected', () => 'refused');
    expect(withoutCertificate).toBe('refused');
  });

  it('the server keeps its state in PostgreSQL, with the search attributes, explicit retention and history archival', async () => {
    const described = await client.workflowService.describeNamespace({ namespace: cluster.namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(14 * 86_400);
    expect(described.config?.historyArchivalState).toBe(temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_ENABLED);
    expect(described.config?.visibilityArchivalState).toBe(temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_ENABLED);
    expect(described.config?.historyArchivalUri).toBe(`file://${cluster.archiveDir}/history`);
    const attributes = await client.connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
    expect(Object.keys(attributes.customAttributes ?? {})).toEqual(expect.arrayContaining(SEARCH_ATTRIBUTES.map((a) => a.name)));
    const info = await client.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION);
  });

  it('every process runs through HTTP to its end state on the cluster, and both worker processes took work', async () => {
    const batch = await Promise.all([payment(), payment(), payment(), payment(), feedback(), feedback(), dvctt(), tthcDecision()]);
    batch.push(await reconciliation());
    const states = await allReachEnd(batch);
    expect(states).toHaveLength(9);

    // Temporal's visibility on PostgreSQL finds the cases by the project's search attributes.
    const payments = await eventually(async () => {
      let n = 0;
      for await (const _ of client.workflow.list({ query: `DvcqgProcess = 'payment' AND ExecutionStatus = 'Completed'` })) n++;
      return n;
    }, (n) => n >= 4, 30_000);
    expect(payments).toBeGreaterThanOrEqual(4);
    const sql = postgres(cluster.databaseUrl.replace(/\/[^/]*$/, `/temporal_${stamp}`), { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from executions`;
      expect(row!.n).toBeGreaterThanOrEqual(batch.length);
    } finally {
      await sql.end();
    }

    const identities = new Set((await Promise.all(batch.map(async (c) => activityWorkers(await historyOf(c.workflowId))))).flat());
    for (const worker of cluster.workers) expect([...identities], `${worker.name} (${worker.identity}) started no activity`).toContain(worker.identity);
  }, 10 * 60_000);

  it('a worker SIGKILLed mid-flight loses nothing: every case in flight reaches its end state on the other worker', async () => {
    const [survivor, victim] = cluster.workers as [Cluster['workers'][number], Cluster['workers'][number]];
    const before = cases.length;
    let done = 0;
    const track = <T>(p: Promise<T>) => p.then((v) => (done++, v));
    const drivers = [
      ...Array.from({ length: 12 }, () => track(payment())),
      track(feedback()), track(feedback()), track(feedback()),
      track(dvctt()), track(dvctt()),
    ];
    // Mid-flight: cases are open on both workers (sticky caches, running activities) when it dies.
    await eventually(async () => cases.length, (n) => n >= before + 10, 120_000);
    expect(done).toBeLessThan(drivers.length);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    const batch = await Promise.all(drivers);
    await allReachEnd(batch);

    // Cases the dead worker had worked on that were still open when it died: the survivor took
    // them over (after the sticky-queue timeout for cached cases, the activity timeout for lost
    // activities) and finished them; nothing ran on the dead worker afterwards.
    const histories = await Promise.all(batch.map((c) => historyOf(c.workflowId)));
    const inFlight = histories.filter((h) => {
      const t = tasks(h);
      return t.some((x) => x.identity === victim.identity && x.at < killedAt) && t.some((x) => x.at > killedAt);
    });
    expect(inFlight.length).toBeGreaterThan(0);
    for (const h of inFlight) expect(new Set(tasks(h).filter((x) => x.at > killedAt + 1000).map((x) => x.identity))).toEqual(new Set([survivor.identity]));
    const timedOut = histories.flatMap((h) => (h.events ?? []).filter((e) => e.workflowTaskTimedOutEventAttributes || e.activityTaskTimedOutEventAttributes));
    console.log(`SIGKILL: ${batch.length} cases driven, ${inFlight.length} in flight on the killed worker moved to the survivor, ${timedOut.length} task timeouts recovered`);
  }, 10 * 60_000);

  it('the replay suite: every history from this server replays without a determinism violation against the current code', async () => {
    const runs: { workflowId: string; runId: string; type: string }[] = [];
    for await (const execution of client.workflow.list()) runs.push({ workflowId: execution.workflowId, runId: execution.runId, type: execution.type });
    const types = new Set(runs.map((r) => r.type));
    for (const type of ['paymentWorkflow', 'feedbackWorkflow', 'dvcttWorkflow', 'tthcDecisionWorkflow', 'reconciliationWorkflow']) expect([...types]).toContain(type);
    // The captured form of the committed samples (test/replay/histories): decrypted proto JSON.
    mkdirSync(join(dir, 'histories'), { recursive: true });
    const histories = await Promise.all(runs.map(async (r) => {
      const text = JSON.stringify(historyToJson(await historyOf(r.workflowId, r.runId)));
      writeFileSync(join(dir, 'histories', `${r.type}-${r.workflowId}-${r.runId}.json`), text);
      const json = JSON.parse(text) as { events: unknown[] };
      expect(workflowTypeOf(json)).toBe(r.type);
      return { workflowId: `${r.workflowId}/${r.runId}`, history: historyFromJson(json) };
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await quietBundle(), replayName: 'cluster-replay' }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
    expect(replayed).toBeGreaterThanOrEqual(cases.length);
  }, 10 * 60_000);

  it('closed runs are archived by Temporal (filestore): a second copy of every closed history', async () => {
    const files = (path: string): string[] => {
      try {
        return readdirSync(path).flatMap((f) => (statSync(join(path, f)).isDirectory() ? files(join(path, f)) : [f]));
      } catch {
        return [];
      }
    };
    const archived = await eventually(async () => files(join(cluster.archiveDir, 'history')), (f) => f.length > 0, 60_000);
    expect(archived.length).toBeGreaterThan(0);
  }, 120_000);
});
