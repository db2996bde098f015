import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createRecordActivities } from '../../activities/record.js';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createWorker } from '../../runtime/worker.js';
import type { HistoryExport } from '../../domain/audit/export.js';
import { dvcttWorkflowId } from '../../workflows/dvctt.definitions.js';
import { feedbackWorkflowId } from '../../workflows/feedback.definitions.js';
import { tthcDecisionWorkflowId } from '../../workflows/tthc.definitions.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { publishDecision } from '../../db/queries/tthc.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, testConfig, testLogger, uniqueId, workflowBundle } from '../support/env.js';
import { createFakeBankSigner } from '../support/fake-bank.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are compared whole and asserted field by field */
type Body = Record<string, any>;
type Read = () => Promise<{ status: number; body: unknown }>;
type Reads = Record<string, Read>;

/**
 * The dev server deletes a closed execution only once its visibility queue has checkpointed past
 * the close (about 30 s): every purge waits that long, so the tests run concurrently.
 */
const PURGE_TIMEOUT_MS = 90_000;
/** A case's flow, sweep, purge (up to a few visibility checkpoints) and every read twice. */
const TEST_TIMEOUT_MS = 180_000;

const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
const btpReviewer: Actor = { userId: uniqueId('btp-reviewer'), role: 'agency', agency: 'BTP' };
const byt: Actor = { userId: uniqueId('byt-officer'), role: 'agency', agency: 'BYT' };
const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
const bankCode = `R${uniqueId('').slice(1, 9)}`.toUpperCase();
const bankSigner = createFakeBankSigner(bankCode);
const bank: Actor = { userId: 'bank-api', role: 'bank', bank: bankCode };

/** What says where a read came from (Temporal or the permanent record): the only thing allowed to change at purge. */
const timelineContent = ({ source: _source, ...rest }: Body) => rest;
const exportContent = (e: HistoryExport) => ({ ...e, runs: e.runs.map(({ source: _source, ...run }) => run) });

const feedbackSubmission = (account: string, content: string) => ({
  sender: { name: 'Trần Thị Bình', address: '12 Lê Lợi, Huế', phone: '0912345678', email: 'binh@example.vn', portalAccountId: account },
  content, agency: 'BTP', tthcCode: '2.000815', category: 'tthc-not-published', channel: 'portal',
});

/** Runs scripts/verify-export.ts on the exact bytes downloaded, as an auditor would, without the server. */
function verifyOffline(bytes: string, expected: string): Promise<{ code: number | null; report: Body }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['scripts/verify-export.ts', '-', '--expect', expected], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, report: JSON.parse(out) as Body });
      } catch {
        reject(new Error(`verify-export printed no JSON (exit ${code}): ${out}${err}`));
      }
    });
    child.stdin.end(bytes);
  });
}

describe('the permanent case record: closed cases read the same after Temporal purged them (HTTP, dev server, worker, PostgreSQL)', () => {
  let stack: E2eStack;
  let client: Client;
  let records: ReturnType<typeof createRecordActivities>;

  beforeAll(async () => {
    stack = await startE2e();
    client = stack.app.temporal;
    records = createRecordActivities(stack.database.db, client, testLogger());
    const res = await stack.call('PUT', `/v1/banks/${bankCode}`, vpcp, { name: `Bank ${bankCode}`, nameVi: `Ngân hàng ${bankCode}`, kind: 'bank', receiptCertificate: bankSigner.certificatePem });
    expect(res.status).toBe(201);
    // Art 27.1, 28.1: the DVCTT case declares its service for a TTHC BTP published (its publication transaction).
    const decisionId = uniqueId('BTP.record');
    await publishDecision(stack.database.db, {
      decisionId, workflowId: `wf-${decisionId}`, agency: 'BTP', agencyKind: 'ministry', items: [{ kind: 'new', code: dvcttTthc, content: fullContent('Cấp bản sao trích lục hộ tịch') }],
      signedOn: '2026-01-05', effectiveOn: '2026-03-01',
    });
  }, 180_000);
  /** The TTHC the DVCTT case's service delivers. */
  const dvcttTthc = tthcTestCode('REC');
  afterAll(async () => {
    await stack?.stop();
  });

  const http = (method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) => stack.call<Body>(method, path, actor, body, headers);

  /** The export exactly as served: its bytes (for the offline check) and its hash header. */
  async function download(expect: ExpectStatic, workflowId: string, actor: Actor = auditor) {
    const res = await fetch(`${stack.baseUrl}/v1/audit/workflows/${workflowId}/history`, { headers: { authorization: await bearer(stack.config, actor) } });
    const bytes = await res.text();
    expect(res.status, bytes).toBe(200);
    return { bytes, body: JSON.parse(bytes) as HistoryExport, sha256: res.headers.get('x-content-sha256') ?? '' };
  }

  const storedRuns = async (workflowId: string) =>
    stack.database.sql<{ run_id: string; status: string; run_seq: number; sha256: string; final_queries: Body | null }[]>`
      select run_id, status, run_seq, sha256, final_queries from case_runs where workflow_id = ${workflowId} order by run_seq`;

  const closed = (workflowId: string) =>
    eventually(() => client.workflow.getHandle(workflowId).describe(), (d) => d.status.name !== 'RUNNING', 30_000);

  /** The Schedule's sweep, called directly until the case's latest run is in `case_runs` (visibility lags). */
  async function sweepMain(workflowId: string, latestRunId: string) {
    await eventually(async () => {
      const result = await records.copyClosedRuns({ taskQueue: stack.config.TASK_QUEUE });
      expect(result.failed.filter((f) => f.workflowId === workflowId)).toEqual([]);
      return (await storedRuns(workflowId)).map((r) => r.run_id);
    }, (ids) => ids.includes(latestRunId), 30_000);
  }

  /** Purges every run of the case from Temporal, as `temporal workflow delete` (or retention) does. */
  async function purge(expect: ExpectStatic, workflowId: string) {
    const runs = await storedRuns(workflowId);
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      await client.workflowService.deleteWorkflowExecution({
        namespace: stack.config.TEMPORAL_NAMESPACE, workflowExecution: { workflowId, runId: run.run_id },
      });
    }
    const gone = (runId?: string) =>
      client.workflow.getHandle(workflowId, runId).describe().then(() => 'present', (err: unknown) => (err instanceof WorkflowNotFoundError ? 'gone' : `error: ${String(err)}`));
    await eventually(() => gone(), (s) => s === 'gone', PURGE_TIMEOUT_MS);
    for (const run of runs) await eventually(() => gone(run.run_id), (s) => s === 'gone', PURGE_TIMEOUT_MS);
  }

  async function readAll(reads: Reads) {
    const out: Record<string, { status: number; body: unknown }> = {};
    // Status and body only: headers (request id, date) differ on every call.
    for (const [name, read] of Object.entries(reads)) {
      const { status, body } = await read();
      out[name] = { status, body };
    }
    return out;
  }

  type Captured = Awaited<ReturnType<typeof capture>>;

  /** 1–2. Every read of the closed case while Temporal holds it; the export twice from Temporal: one hash. */
  async function capture(expect: ExpectStatic, workflowId: string, reads: Reads) {
    const described = await closed(workflowId);
    const before = await readAll(reads);
    for (const [name, res] of Object.entries(before)) expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
    const timeline = await http('GET', `/v1/audit/workflows/${workflowId}/timeline`, auditor);
    expect(timeline.status).toBe(200);
    expect(timeline.body.source).toBe('temporal');
    expect(timeline.body.runs.at(-1).closedAs).not.toBe('running');
    // Temporal's protobuf maps come back in any key order: RFC 8785 makes the hash one.
    const first = await download(expect, workflowId);
    const second = await download(expect, workflowId);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.body.sha256).toBe(first.sha256);
    expect(second.sha256).toBe(first.sha256);
    expect(exportContent(second.body)).toEqual(exportContent(first.body));
    return { workflowId, reads, described, before, timeline: timeline.body, first };
  }

  /** 2. After the sweep: the case's runs are stored, with the chain head the export showed. */
  async function checkCopied(expect: ExpectStatic, c: Captured) {
    const stored = await storedRuns(c.workflowId);
    expect(stored.at(-1)?.run_id).toBe(c.described.runId);
    expect(stored.at(-1)?.status).toBe(c.described.status.name);
    expect(stored.at(-1)?.sha256).toBe(c.first.sha256);
    // Read from the record while Temporal still has it: still the same export.
    const fromRecord = await download(expect, c.workflowId);
    expect(fromRecord.sha256).toBe(c.first.sha256);
    expect(exportContent(fromRecord.body)).toEqual(exportContent(c.first.body));
    return stored;
  }

  /** 3–4. Purge, then every read again from the permanent record: same content, hash, verification, replay. */
  async function purgeAndCompare(expect: ExpectStatic, c: Captured, agencies?: { own: Actor; other: Actor }) {
    const { workflowId, first } = c;
    await purge(expect, workflowId);

    const after = await readAll(c.reads);
    for (const name of Object.keys(c.before)) expect(after[name], name).toEqual(c.before[name]);
    const timeline = await http('GET', `/v1/audit/workflows/${workflowId}/timeline`, auditor);
    expect(timeline.status).toBe(200);
    expect(timeline.body.source).toBe('record');
    expect(timelineContent(timeline.body)).toEqual(timelineContent(c.timeline));
    const html = await fetch(`${stack.baseUrl}/v1/audit/workflows/${workflowId}/timeline?format=html`, { headers: { authorization: await bearer(stack.config, auditor) } });
    expect(html.status).toBe(200);

    const purged = await download(expect, workflowId);
    expect(purged.sha256).toBe(first.sha256);
    expect(purged.body.runs.map((r) => r.source)).toEqual(purged.body.runs.map(() => 'record'));
    expect(exportContent(purged.body)).toEqual(exportContent(first.body));

    // The export downloaded now, and the one downloaded from Temporal before the purge, are both authentic.
    for (const exported of [purged, first]) {
      const verified = await http('POST', '/v1/audit/verify', auditor, JSON.parse(exported.bytes));
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ verdict: 'authentic', hashMatches: true, chainComplete: true, issuedByServer: true, knownFrom: 'record', computedSha256: first.sha256 });
    }
    const offline = await verifyOffline(purged.bytes, first.sha256);
    expect(offline.report).toMatchObject({ verdict: 'intact', computedSha256: first.sha256, hashMatches: true, chainComplete: true, headMatchesExpected: true });
    expect(offline.code).toBe(0);

    const replay = await http('POST', `/v1/audit/workflows/${workflowId}/replay`, auditor);
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body).toMatchObject({ ok: true, workflowType: c.described.type });
    expect(replay.body.runs).toHaveLength(first.body.runs.length);

    if (agencies) {
      // The record keeps the case's agency: its own agency still reads it, another does not.
      expect((await http('GET', `/v1/audit/workflows/${workflowId}/timeline`, agencies.own)).status).toBe(200);
      expect((await http('GET', `/v1/audit/workflows/${workflowId}/timeline`, agencies.other)).status).toBe(403);
      expect((await http('GET', `/v1/audit/workflows/${workflowId}/history`, agencies.other)).status).toBe(403);
    }
    return after;
  }

  /** The retention rule for one closed case, end to end, with the sweep the Schedule runs. */
  async function proveRetention(expect: ExpectStatic, workflowId: string, options: { reads: Reads; agencies?: { own: Actor; other: Actor } }) {
    const captured = await capture(expect, workflowId, options.reads);
    await sweepMain(workflowId, captured.described.runId);
    const stored = await checkCopied(expect, captured);
    await purgeAndCompare(expect, captured, options.agencies);
    return { before: captured.before, stored };
  }

  // ── Payments and refunds ──

  const paymentRequest = (requestRef: string, amount = 150_000) => ({
    agency: 'BTP', requestRef, dossierCode: 'H01.23-000999', feeTypeCode: 'LEPHI-HT', amount,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
  });

  /** Registered → payer's bank → debit → signed receipt → settlement: the payment closes. */
  async function settledPayment(expect: ExpectStatic, amount = 150_000) {
    const requestRef = uniqueId('rec');
    const created = await http('POST', '/v1/payments', btp, paymentRequest(requestRef, amount));
    expect(created.status).toBe(201);
    const id = created.body.paymentId as string;
    expect((await http('POST', `/v1/payments/${id}/payer-bank`, portal, { bank: bankCode })).status).toBe(200);
    const debit = { callbackId: `${id}:d`, bankTxnRef: `FT-${requestRef.slice(-12)}`, amount, debitedAt: new Date().toISOString() };
    expect((await http('POST', `/v1/payments/${id}/callbacks/debit`, bank, debit)).status).toBe(200);
    // Art 31.2c: the bank's receipt, signed with the key of its registered certificate.
    const receipt = {
      callbackId: `${id}:r`,
      document: bankSigner.signReceipt({ receiptNo: `CT-${requestRef.slice(-8)}`, paymentId: id, bank: bankCode, bankTxnRef: debit.bankTxnRef, amount, debitedAt: debit.debitedAt }),
    };
    expect((await http('POST', `/v1/payments/${id}/callbacks/receipt`, bank, receipt)).status).toBe(200);
    const settled = await http('POST', `/v1/payments/${id}/callbacks/settlement`, bank, { callbackId: `${id}:s`, transferRef: `TT-${requestRef.slice(-8)}`, amount });
    expect(settled.body.status).toBe('settled');
    return { id, requestRef };
  }

  it.concurrent('Retention: a settled payment purged from Temporal still reads the same, and its request reference stays taken (Art 31–33, project rule)', async ({ expect }) => {
    const { id, requestRef } = await settledPayment(expect);
    const { stored } = await proveRetention(expect, id, {
      reads: {
        payment: () => http('GET', `/v1/payments/${id}`, btp),
        asAuditor: () => http('GET', `/v1/payments/${id}`, auditor),
        receipt: () => http('GET', `/v1/payments/${id}/receipt`, btp),
      },
      agencies: { own: btp, other: byt },
    });
    expect(stored.map((r) => r.status)).toEqual(['COMPLETED']);

    // The same request again after the purge: the existing (settled) payment, nothing started.
    const again = await http('POST', '/v1/payments', btp, paymentRequest(requestRef));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ paymentId: id, status: 'settled' });
    // The same reference with another amount: a conflict, forever.
    const conflict = await http('POST', '/v1/payments', btp, paymentRequest(requestRef, 160_000));
    expect(conflict.status).toBe(409);
    expect(conflict.body.type).toBe('urn:dvcqg:problem:already-exists');
    await expect(client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, TEST_TIMEOUT_MS);

  it.concurrent('Retention: a refund paid by the payer\'s bank, purged from Temporal, still reads the same and the debit cannot be refunded again with other content (Art 34.6, project rule)', async ({ expect }) => {
    const payment = await settledPayment(expect, 60_000);
    const request = { paymentId: payment.id, amount: 60_000, reason: 'Trừ tiền hai lần / debited twice' };
    const opened = await http('POST', '/v1/refunds', portal, request);
    expect(opened.status).toBe(201);
    const refundId = opened.body.refundId as string;
    await eventually(() => http('GET', `/v1/refunds/${refundId}`, bank), (r) => r.status === 200);
    const decided = await http('POST', `/v1/refunds/${refundId}/decision`, bank, { finding: 'bankFault', note: 'Lỗi hệ thống ngân hàng / bank system error' });
    expect(decided.body).toMatchObject({ status: 'awaitingRefund', responsibleKind: 'bank' });
    const paid = await http('POST', `/v1/refunds/${refundId}/payout`, bank, { payoutRef: `HT-${payment.requestRef.slice(-8)}` });
    expect(paid.body).toMatchObject({ status: 'refunded' });

    await proveRetention(expect, refundId, {
      reads: {
        refund: () => http('GET', `/v1/refunds/${refundId}`, bank),
        asAgency: () => http('GET', `/v1/refunds/${refundId}`, btp),
        list: () => http('GET', `/v1/refunds?paymentId=${payment.id}`, bank),
      },
      agencies: { own: btp, other: byt },
    });

    const again = await http('POST', '/v1/refunds', portal, request);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ refundId, status: 'refunded' });
    expect((await http('POST', '/v1/refunds', portal, { ...request, amount: 10_000 })).status).toBe(409);
    // A second payout of the purged case is refused, not taken for an unknown refund.
    const payout = await http('POST', `/v1/refunds/${refundId}/payout`, bank, { payoutRef: 'HT-AGAIN' });
    expect(payout.status).toBe(409);
    await expect(client.workflow.getHandle(refundId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, TEST_TIMEOUT_MS);

  // ── Citizen feedback ──

  it.concurrent('Retention: a published feedback answer purged from Temporal still reads the same, and its Idempotency-Key stays bound to its content (Art 42–45, project rule)', async ({ expect }) => {
    const submission = feedbackSubmission(uniqueId('acc'), 'Đề nghị hướng dẫn rõ lệ phí cấp bản sao trích lục hộ tịch.');
    const key = uniqueId('key');
    const submit = (body: unknown) => http('POST', '/v1/feedback', portal, body, { 'idempotency-key': key });
    const created = await submit(submission);
    expect(created.status).toBe(201);
    const itemId = created.body.id as string;
    await eventually(() => http('GET', `/v1/feedback/${itemId}`, btp), (r) => r.status === 200 && (r.body.clocks as unknown[]).length >= 2);
    expect((await http('POST', `/v1/feedback/${itemId}/classify`, btp, { decision: 'accept' })).body.status).toBe('processing');
    const result = await http('POST', `/v1/feedback/${itemId}/result`, btp, { answer: 'Lệ phí được niêm yết tại Cơ sở dữ liệu quốc gia về TTHC.', resultObtainedAt: new Date().toISOString() });
    expect(result.body.status).toBe('in-review');
    expect((await http('POST', `/v1/feedback/${itemId}/review`, btpReviewer, { decision: 'approve' })).body.status).toBe('approved');
    expect((await http('POST', `/v1/feedback/${itemId}/publish`, btpReviewer, { publicQuestion: 'Đề nghị công khai thành phần hồ sơ của thủ tục.' })).body.status).toBe('published');
    const workflowId = feedbackWorkflowId(itemId);

    const { before, stored } = await proveRetention(expect, workflowId, {
      reads: {
        item: () => http('GET', `/v1/feedback/${itemId}`, auditor),
        asAgency: () => http('GET', `/v1/feedback/${itemId}`, btp),
        asPortal: () => http('GET', `/v1/feedback/${itemId}`, portal),
      },
    });
    expect((before.item!.body as Body).status).toBe('published');
    expect(stored.at(-1)?.final_queries).toHaveProperty('feedbackState.status', 'published');
    expect((await http('GET', `/v1/feedback/${itemId}`, byt)).status).toBe(403);

    const replayed = await submit(submission);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id: itemId, status: 'published', replayed: true });
    const reused = await submit({ ...submission, content: 'Một nội dung khác hẳn, cùng khoá idempotency.' });
    expect(reused.status).toBe(409);
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, TEST_TIMEOUT_MS);

  // ── TTHC publication decisions ──

  it.concurrent('Retention: a published TTHC decision purged from Temporal still reads the same, and its number cannot be entered again with another title (Art 16.3–16.5, project rule)', async ({ expect }) => {
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const decision = {
      agency: 'BTP', number: `${uniqueId('rec')}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực chứng thực',
      authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01',
    };
    const created = await http('POST', '/v1/tthc/decisions', btp, decision);
    expect(created.status).toBe(201);
    const id = created.body.decisionId as string;
    await eventually(() => http('GET', `/v1/tthc/decisions/${id}`, btp), (r) => r.status === 200 && r.body.issueTiming?.late === false);
    const code = tthcTestCode('REC');
    expect((await http('POST', `/v1/tthc/decisions/${id}/items`, btp, { items: [{ kind: 'new', code, content: fullContent('Chứng thực bản sao') }] })).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${id}/check`, btp)).body).toEqual({ gaps: [], stage: 'checked' });
    expect((await http('POST', `/v1/tthc/decisions/${id}/publish`, btp)).status).toBe(200);
    const workflowId = tthcDecisionWorkflowId(id);

    const { before } = await proveRetention(expect, workflowId, {
      reads: {
        decision: () => http('GET', `/v1/tthc/decisions/${id}`, vpcp),
        asAgency: () => http('GET', `/v1/tthc/decisions/${id}`, btp),
        procedure: () => http('GET', `/v1/tthc/procedures/${code}`),
      },
      agencies: { own: btp, other: byt },
    });
    expect(before.decision!.body).toMatchObject({ stage: 'published', clocks: [{ key: 'publish', outcome: 'met', owner: 'BTP' }] });

    const same = await http('POST', '/v1/tthc/decisions', btp, decision);
    expect(same.status).toBe(200);
    expect(same.body).toEqual({ decisionId: id, workflowId });
    const retitled = await http('POST', '/v1/tthc/decisions', btp, { ...decision, title: 'Một tiêu đề khác cho cùng số quyết định' });
    expect(retitled.status).toBe(409);
    expect(retitled.body.type).toBe('urn:dvcqg:problem:already-exists');
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, TEST_TIMEOUT_MS);

  // ── DVCTT ──

  it.concurrent('Retention: a DVCTT service case ended after withdrawal, purged from Temporal, still reads the same and is not started again (Art 27, project rule)', async ({ expect }) => {
    const code = uniqueId('DVC-REC');
    expect((await http('POST', '/v1/dvctt/services', btp, { code, name: 'Cấp bản sao trích lục hộ tịch', tthcCode: dvcttTthc, agency: 'BTP', level: 4 })).status).toBe(201);
    expect((await http('POST', `/v1/dvctt/services/${code}/propose`, btp, {})).body.status).toBe('proposed');
    const rejected = await http('POST', `/v1/dvctt/services/${code}/review`, vpcp, { decision: 'reject', reasons: 'Thiếu biểu mẫu / form missing' });
    expect(rejected.body.status).toBe('returned');
    const withdrawn = await http('POST', `/v1/dvctt/services/${code}/withdraw`, btp, { reasons: 'Dừng cung cấp trực tuyến / no longer offered online' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('withdrawn');
    const workflowId = dvcttWorkflowId(code);
    // A service's case lives as long as the service (a withdrawn service may be proposed again):
    // withdrawal does not close it. An operator ends it (the service retired from the Portal).
    const handle = client.workflow.getHandle(workflowId);
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('service retired from the Portal');

    const { before, stored } = await proveRetention(expect, workflowId, {
      reads: {
        service: () => http('GET', `/v1/dvctt/services/${code}`, vpcp),
        asAgency: () => http('GET', `/v1/dvctt/services/${code}`, btp),
        rounds: () => http('GET', `/v1/dvctt/services/${code}/rounds`, btp),
        availability: () => http('GET', `/v1/dvctt/services/${code}/availability`, portal),
      },
      agencies: { own: btp, other: byt },
    });
    // Round 1 ended when VPCP rejected it; the withdrawal ended the loop.
    expect(before.service!.body).toMatchObject({ status: 'withdrawn', rounds: [{ round: 1, outcome: 'rejected' }] });
    expect(stored.at(-1)?.final_queries).toHaveProperty('dvcttState.status', 'withdrawn');

    const proposed = await http('POST', `/v1/dvctt/services/${code}/propose`, btp, {});
    expect(proposed.status).toBe(409);
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }, TEST_TIMEOUT_MS);

  // ── A worker dying between close and copy ──

  it.concurrent('Retention: a worker killed between a case\'s close and its copy loses nothing — the sweeper on a fresh worker copies it, and it reads the same after purge (project rule)', async ({ expect }) => {
    // Its own task queue, workers and API, so that no other sweep can copy its cases first.
    const config = testConfig();
    const queue = config.TASK_QUEUE;
    const bundle = await workflowBundle();
    const startWorker = async () => {
      const created = await createWorker({
        address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: queue,
        deps: { db: stack.database.db, logger: testLogger() }, workflowBundle: bundle,
      });
      const running = created.worker.run();
      return async () => {
        if (created.worker.getState() === 'RUNNING') created.worker.shutdown();
        await running;
        await created.connection.close();
      };
    };

    // A payment (read from its projection) and a feedback item (read from its final state) close
    // on the first worker; their reads are taken while it still serves queries.
    const app = await buildApp(config, { db: stack.database.db, temporal: client }, false);
    const call = async (method: 'GET' | 'POST', url: string, actor: Actor, payload?: object, headers: Record<string, string> = {}) => {
      const res = await app.inject({ method, url, headers: { authorization: await bearer(config, actor), ...headers }, ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: res.json<Body>() };
    };
    let payment: Captured;
    let feedback: Captured;
    const stopFirst = await startWorker();
    try {
      const created = await call('POST', '/v1/payments', btp, paymentRequest(uniqueId('kill'), 75_000));
      expect(created.status).toBe(201);
      const paymentId = created.body.paymentId as string;
      expect((await call('POST', `/v1/payments/${paymentId}/cancel`, btp, { reason: 'Hồ sơ đã rút / dossier withdrawn' })).body.status).toBe('cancelled');

      const submitted = await call('POST', '/v1/feedback', portal, feedbackSubmission(uniqueId('acc'), 'Phản ánh không thuộc phạm vi tiếp nhận của hệ thống.'), { 'idempotency-key': uniqueId('key') });
      expect(submitted.status).toBe(201);
      const itemId = submitted.body.id as string;
      await eventually(() => call('GET', `/v1/feedback/${itemId}`, btp), (r) => r.status === 200 && (r.body.clocks as unknown[]).length >= 2);
      const refused = await call('POST', `/v1/feedback/${itemId}/classify`, btp, { decision: 'reject', reason: 'Không thuộc phạm vi phản ánh, kiến nghị (Điều 37)' });
      expect(refused.body.status).toBe('not-accepted');

      payment = await capture(expect, paymentId, {
        payment: () => http('GET', `/v1/payments/${paymentId}`, btp),
        asAuditor: () => http('GET', `/v1/payments/${paymentId}`, auditor),
      });
      feedback = await capture(expect, feedbackWorkflowId(itemId), {
        item: () => http('GET', `/v1/feedback/${itemId}`, auditor),
        asAgency: () => http('GET', `/v1/feedback/${itemId}`, btp),
      });
    } finally {
      // The worker dies after the closes, before any sweep ran.
      await stopFirst();
      await app.close();
    }
    expect(await storedRuns(payment.workflowId)).toEqual([]);
    expect(await storedRuns(feedback.workflowId)).toEqual([]);

    // A fresh worker on the queue; the sweeper (the Schedule's workflow) runs on it.
    const stopSecond = await startWorker();
    try {
      const sweeps: Body[] = [];
      const latest = [payment.described.runId, feedback.described.runId];
      await eventually(async () => {
        sweeps.push(await client.workflow.execute('recordSweepWorkflow', { taskQueue: queue, workflowId: uniqueId('record-sweep'), args: [] }));
        const rows = await stack.database.sql<{ run_id: string }[]>`select run_id from case_runs where run_id in ${stack.database.sql(latest)}`;
        return rows.length;
      }, (n) => n === latest.length, 60_000);
      expect(sweeps.every((s) => s.failed === 0)).toBe(true);
      expect(sweeps.reduce((n, s) => n + (s.copied as number), 0)).toBeGreaterThanOrEqual(2);
    } finally {
      await stopSecond();
    }
    await checkCopied(expect, payment);
    const [feedbackRun] = await checkCopied(expect, feedback);
    // The fresh worker answered the closed item's query for the record: its reads need no Temporal.
    expect(feedbackRun?.final_queries).toHaveProperty('feedbackState.status', 'not-accepted');

    await Promise.all([purgeAndCompare(expect, payment, { own: btp, other: byt }), purgeAndCompare(expect, feedback)]);
  }, TEST_TIMEOUT_MS);
});
