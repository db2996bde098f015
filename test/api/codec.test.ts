import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { EncryptionCodec, parsePayloadKeys } from '../../codec/encryption.js';
import { bearer, testConfig } from '../support/env.js';

const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});
const fromJson = ({ metadata, data }: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data, 'base64'),
});

describe('codec server (Temporal codec-server protocol for the Web UI and CLI)', () => {
  const keys = `k2026a:${randomBytes(32).toString('base64')}`;
  const config = testConfig({ TEMPORAL_PAYLOAD_KEYS: keys, TEMPORAL_UI_URL: 'http://127.0.0.1:8233' });
  const ui = 'http://127.0.0.1:8233';
  const auditor: Actor = { userId: 'auditor-codec', role: 'auditor' };
  const vpcp: Actor = { userId: 'vpcp-codec', role: 'vpcp', agency: 'VPCP' };
  const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
  const sender = { name: 'Lê Văn Cường', phone: '0901234567', email: 'cuong@example.vn' };
  let app: FastifyInstance;
  let sealed: Payload;

  const post = async (operation: 'encode' | 'decode', payloads: unknown[], actor?: Actor, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/v1/codec/${operation}`,
      headers: { 'x-namespace': config.TEMPORAL_NAMESPACE, ...(actor ? { authorization: await bearer(config, actor) } : {}), ...headers },
      payload: { payloads },
    });

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    [sealed] = (await new EncryptionCodec(parsePayloadKeys(keys)).encode([defaultPayloadConverter.toPayload(sender)])) as [Payload];
  });
  afterAll(async () => {
    await app?.close();
  });

  it('an auditor gets an encrypted payload back in clear (proto3 JSON in and out)', async () => {
    const res = await post('decode', [toJson(sealed)], auditor, { origin: ui });
    expect(res.statusCode).toBe(200);
    const [payload] = (res.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(defaultPayloadConverter.fromPayload(fromJson(payload as never))).toEqual(sender);
    expect(res.headers['access-control-allow-origin']).toBe(ui);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('VPCP encodes, and what it encoded decodes again; plaintext payloads pass through decode unchanged', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload({ stage: 'received' }));
    const encoded = await post('encode', [plain], vpcp);
    expect(encoded.statusCode).toBe(200);
    const [sealedJson] = (encoded.json() as { payloads: { metadata: Record<string, string> }[] }).payloads;
    expect(Buffer.from(sealedJson?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    const decoded = await post('decode', [sealedJson, plain], auditor);
    expect(decoded.json()).toEqual({ payloads: [plain, plain] });
  });

  it('only VPCP and auditors: an agency officer is refused (403), a request without a token is 401 — with CORS headers the UI can read', async () => {
    const agency = await post('decode', [toJson(sealed)], btp, { origin: ui });
    expect(agency.statusCode).toBe(403);
    expect(agency.json()).toMatchObject({ type: 'urn:dvcqg:problem:wrong-role' });
    expect(agency.headers['access-control-allow-origin']).toBe(ui);
    const anonymous = await post('decode', [toJson(sealed)], undefined, { origin: ui });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['access-control-allow-origin']).toBe(ui);
    expect(JSON.stringify(agency.json())).not.toContain(sender.email);
  });

  it('CORS preflight admits the Temporal Web UI origin only', async () => {
    const preflight = (origin: string) =>
      app.inject({ method: 'OPTIONS', url: '/v1/codec/decode', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } });
    const fromUi = await preflight(ui);
    expect(fromUi.statusCode).toBe(204);
    expect(fromUi.headers['access-control-allow-origin']).toBe(ui);
    expect(String(fromUi.headers['access-control-allow-headers'])).toMatch(/authorization.*content-type.*x-namespace/);
    expect(String(fromUi.headers['access-control-allow-methods'])).toContain('POST');
    const elsewhere = await preflight('https://evil.example');
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('another namespace is refused (400); an altered ciphertext is 422, not a 500', async () => {
    expect((await post('decode', [toJson(sealed)], auditor, { 'x-namespace': 'other' })).statusCode).toBe(400);
    const altered = toJson(sealed);
    const bytes = Buffer.from(altered.data, 'base64');
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    const res = await post('decode', [{ ...altered, data: bytes.toString('base64') }], auditor);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ type: 'urn:dvcqg:problem:unprocessable' });
  });
});
