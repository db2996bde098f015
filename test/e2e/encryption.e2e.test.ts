import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { Actor } from '../../api/auth.js';
import { replayRuns } from '../../activities/replay.js';
import { dataConverterFor, payloadCodecsFor } from '../../codec/encryption.js';
import { decodeHistory } from '../../codec/history.js';
import { historyFromJson, historyToJson } from '../../domain/audit/proto-json.js';
import type { Timeline } from '../../domain/audit/timeline.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, quietBundle, uniqueId } from '../support/env.js';
import { ensureTemporalCli } from '../../scripts/runtime.js';

const feedbackWorkflow = new URL('../../workflows/feedback.workflow.ts', import.meta.url);

/** Every string in a JSON value, and what it says once base64-decoded (proto3 JSON writes payload bytes in base64). */
function readableText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v, Buffer.from(v, 'base64').toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, child]) => (out.push(k), walk(child)));
  };
  walk(value);
  return out.join('\n');
}

describe('payload encryption end to end: a feedback item submitted through the API, with keys configured', () => {
  const keys = `k2026a:${randomBytes(32).toString('base64')}`;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  // Unique per run, so a hit can only come from this item.
  const phone = `09${String(Date.now()).slice(-8)}`;
  const email = `${uniqueId('citizen')}@example.vn`;
  let stack: E2eStack;
  let plain: Client;
  let connection: Connection;
  let workflowId: string;

  beforeAll(async () => {
    // Every deployed workflow: the audit replay runs as a job (auditReplayWorkflow) in this worker.
    stack = await startE2e({ config: { TEMPORAL_PAYLOAD_KEYS: keys } });
    connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
    // What anyone with Temporal access but not the keys sees: a client without the codec.
    plain = new Client({ connection, namespace: stack.config.TEMPORAL_NAMESPACE });
    const submitted = await stack.call<{ id: string }>('POST', '/v1/feedback', portal, {
      sender: { name: 'Trần Thị Bình', address: '5 Lê Lợi, Huế', phone, email, portalAccountId: uniqueId('acc') },
      content: 'Đề nghị hướng dẫn rõ hồ sơ cấp phiếu lý lịch tư pháp trực tuyến.',
      agency: 'BTP',
      tthcCode: '2.000815',
      category: 'tthc-not-published',
      channel: 'portal',
    }, { 'idempotency-key': uniqueId('key') });
    expect(submitted.status).toBe(201);
    // Received, its clocks started and the receipt notices sent: activity inputs and results are in history.
    const item = await eventually(
      async () => (await stack.call<{ workflowId: string; clocks: unknown[] }>('GET', `/v1/feedback/${submitted.body.id}`, btp)).body,
      (i) => i.clocks.length >= 2,
    );
    workflowId = item.workflowId;
  }, 180_000);
  afterAll(async () => {
    await plain?.workflow.getHandle(workflowId).terminate('test finished').catch(() => undefined);
    await connection?.close();
    await stack?.stop();
  });

  it('the history read with a plain Temporal client (no codec) shows no phone number or e-mail of the sender anywhere', async () => {
    const history = await plain.workflow.getHandle(workflowId).fetchHistory();
    const text = readableText(historyToJson(history));
    expect(text).not.toContain(phone);
    expect(text).not.toContain(email);
    expect(text).toContain('binary/encrypted');
    // The same check on the decrypted history finds them: the check itself can see a leak.
    const decrypted = readableText(historyToJson(await decodeHistory(history, payloadCodecsFor(stack.config))));
    expect(decrypted).toContain(phone);
    expect(decrypted).toContain(email);
  });

  it('search attributes stay plaintext and carry no personal data', async () => {
    const described = await plain.workflow.getHandle(workflowId).describe();
    const fields = described.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    const values = Object.fromEntries(Object.entries(fields).map(([name, payload]) => [name, defaultPayloadConverter.fromPayload(payload)]));
    expect(values).toMatchObject({ DvcqgAgency: 'BTP', DvcqgProcess: expect.any(String) });
    const text = readableText(values);
    expect(text).not.toContain(phone);
    expect(text).not.toContain(email);
  });

  it('the audit timeline decrypts for an auditor: the sender\'s phone and e-mail are there', async () => {
    const res = await stack.call<Timeline>('GET', `/v1/audit/workflows/${workflowId}/timeline`, auditor);
    expect(res.status).toBe(200);
    const started = res.body.entries.find((e) => e.kind === 'case.started');
    expect(JSON.stringify(started?.data)).toContain(phone);
    expect(JSON.stringify(res.body)).toContain(email);
  });

  it('the history export keeps the encrypted payloads and its hash verifies over them', async () => {
    const exported = await stack.call<{ sha256: string; runs: unknown[] }>('GET', `/v1/audit/workflows/${workflowId}/history`, auditor);
    expect(exported.status).toBe(200);
    const text = readableText(exported.body);
    expect(text).not.toContain(phone);
    expect(text).not.toContain(email);
    const verified = await stack.call('POST', '/v1/audit/verify', auditor, exported.body);
    expect(verified.body).toMatchObject({ hashMatches: true, verdict: 'authentic' });
  });

  it('the codec server turns a payload taken from the raw history back into the sender\'s data for an auditor, and refuses an agency', async () => {
    const history = historyToJson(await plain.workflow.getHandle(workflowId).fetchHistory()) as {
      events: { workflowExecutionStartedEventAttributes?: { input?: { payloads: unknown[] } } }[];
    };
    const payloads = history.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    expect(payloads.length).toBeGreaterThan(0);
    const headers = { 'x-namespace': stack.config.TEMPORAL_NAMESPACE };
    const decoded = await stack.call<{ payloads: { metadata: Record<string, string>; data: string }[] }>('POST', '/v1/codec/decode', auditor, { payloads }, headers);
    expect(decoded.status).toBe(200);
    const [input] = decoded.body.payloads;
    expect(Buffer.from(input?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(input?.data ?? '', 'base64').toString()).toContain(email);
    expect((await stack.call('POST', '/v1/codec/decode', btp, { payloads }, headers)).status).toBe(403);
    expect((await stack.call('POST', '/v1/codec/decode', undefined, { payloads }, headers)).status).toBe(401);
  });

  it('the Temporal CLI pointed at the codec server with an auditor\'s token shows the history in clear', async () => {
    // Asynchronously: the CLI calls back into this process's API for the decoding.
    const cli = async (...extra: string[]) => (await promisify(execFile)(ensureTemporalCli(), [
      'workflow', 'show', '--address', stack.config.TEMPORAL_ADDRESS, '--namespace', stack.config.TEMPORAL_NAMESPACE, '--workflow-id', workflowId, '--output', 'json', ...extra,
    ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })).stdout;
    expect(readableText(JSON.parse(await cli()))).not.toContain(email);
    const decoded = await cli('--codec-endpoint', `${stack.baseUrl}/v1/codec`, '--codec-auth', await bearer(stack.config, auditor));
    expect(readableText(JSON.parse(decoded))).toContain(email);
  });

  it('an encrypted history replays against the deployed code through the audit API (its replay worker has the codec); without the codec it cannot', async () => {
    const res = await stack.call<{ ok: boolean; runs: { ok: boolean; error?: { message: string } }[] }>('POST', `/v1/audit/workflows/${workflowId}/replay`, auditor);
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r) => r.error?.message ?? 'ok')).toEqual(['ok']);
    expect(res.body.ok).toBe(true);

    const history = await plain.workflow.getHandle(workflowId).fetchHistory();
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await quietBundle(feedbackWorkflow), replayName: 'no-codec' }, [{ workflowId, history }])) results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]?.error).toBeDefined();
  });

  it('histories from before encryption still replay with the codec configured (payloads without its metadata pass through)', async () => {
    const sample = JSON.parse(readFileSync(new URL('../replay/histories/feedbackWorkflow-acceptedThenPublished.json', import.meta.url), 'utf8')) as unknown;
    const replayed = await replayRuns({ workflowBundle: await quietBundle(feedbackWorkflow), dataConverter: dataConverterFor(stack.config) }, 'plaintext-sample', [{ runId: 'sample', history: historyFromJson(sample) }]);
    expect(replayed).toEqual([{ runId: 'sample', ok: true }]);
  });
});
