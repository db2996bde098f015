import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import type { AppConfig } from '../../config/index.js';
import { bearer, testConfig, uniqueId } from '../support/env.js';

const MiB = 1024 * 1024;
const vpcp: Actor = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };
const officer: Actor = { userId: 'officer-1', role: 'agency', agency: 'BTP' };
const bankCode = `L${uniqueId('').slice(1, 9)}`.toUpperCase();
const bankActor: Actor = { userId: 'bank-api', role: 'bank', bank: bankCode };
const statementPath = (bank = bankCode) => `/v1/reconciliation/statements/${bank}/BTP/2026-03-02`;

function expectProblem(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  return res.json() as { type: string; detail: string; errors?: { path: string; message: string }[] };
}

/**
 * PUTs `totalBytes` of CSV to a listening app, 1 MiB at a time, with a Content-Length or chunked;
 * resolves when the answer arrives (the server may refuse long before the body is sent).
 */
function putLarge(baseUrl: string, path: string, authorization: string, totalBytes: number, chunked: boolean): Promise<{ status: number; ms: number; body: string }> {
  const line = 'P-1,FT-1,1000,success\n';
  const chunk = Buffer.from(line.repeat(Math.floor(MiB / line.length)));
  const header = Buffer.from('payment_id,bank_txn_ref,amount,status\n');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    const req = httpRequest(`${baseUrl}${path}`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'text/csv', ...(chunked ? {} : { 'content-length': String(totalBytes) }) },
    }, (res) => {
      answered = true;
      const ms = performance.now() - started;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, ms, body });
        req.destroy();
      });
    });
    // Once refused, the server closes the connection while the client may still be writing.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    let sent = 0;
    const write = () => {
      while (!answered && sent < totalBytes) {
        const part = sent === 0 ? Buffer.concat([header, chunk]) : chunk.subarray(0, Math.min(chunk.length, totalBytes - sent));
        sent += part.length;
        if (!req.write(part)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}

describe('bounded work per request: reconciliation uploads', () => {
  let app: FastifyInstance;
  let small: FastifyInstance;
  let baseUrl: string;
  let smallUrl: string;

  beforeAll(async () => {
    app = await buildApp(testConfig(), undefined, false);
    small = await buildApp(testConfig({ UPLOAD_MAX_BYTES: MiB }), undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    smallUrl = await small.listen({ host: '127.0.0.1', port: 0 });
    const registered = await app.inject({
      method: 'PUT', url: `/v1/banks/${bankCode}`, headers: { authorization: await bearer(app.config, vpcp) },
      payload: { name: `Bank ${bankCode}`, nameVi: `Ngân hàng ${bankCode}`, kind: 'bank' },
    });
    expect(registered.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await small?.close();
  });

  const healthz = async (url: string) => {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    return { status: res.status, ms: performance.now() - started };
  };

  it('a 100 MiB upload is refused with 413 problem+json within a second, while /healthz keeps answering', async () => {
    const [upload, health] = await Promise.all([
      putLarge(baseUrl, statementPath(), await bearer(app.config, bankActor), 100 * MiB, false),
      healthz(baseUrl),
    ]);
    expect(upload.status).toBe(413);
    expect(upload.ms).toBeLessThan(1000);
    expect(JSON.parse(upload.body)).toMatchObject({ type: 'urn:dvcqg:problem:payload-too-large', status: 413 });
    expect(health.status).toBe(200);
  });

  it('a chunked upload (no Content-Length) is counted as it streams in: refused with 413 once past UPLOAD_MAX_BYTES', async () => {
    const [upload, health] = await Promise.all([putLarge(smallUrl, statementPath(), await bearer(small.config, bankActor), 100 * MiB, true), healthz(smallUrl)]);
    expect(upload.status).toBe(413);
    expect(JSON.parse(upload.body)).toMatchObject({ type: 'urn:dvcqg:problem:payload-too-large', detail: `The upload is larger than ${MiB} bytes` });
    expect(health.status).toBe(200);
  });

  it('unknown payment ids are refused with 422, naming their lines (CSV) or items (JSON)', async () => {
    const csv = await app.inject({
      method: 'PUT', url: statementPath(), headers: { authorization: await bearer(app.config, bankActor), 'content-type': 'text/csv' },
      payload: 'payment_id,bank_txn_ref,amount,status\r\nNO-SUCH-PAYMENT,FT-1,1000,success\r\n\r\nNOR-THIS,FT-2,1000,failed\r\n',
    });
    expect(expectProblem(csv, 422).errors?.map((e) => e.path)).toEqual(['line 2', 'line 4']);
    const json = await app.inject({
      method: 'PUT', url: `/v1/reconciliation/agency-records/BTP/${bankCode}/2026-03-02`, headers: { authorization: await bearer(app.config, officer) },
      payload: { lines: [{ paymentId: 'NO-SUCH-PAYMENT', bankTxnRef: 'FT-1', amount: 1000, status: 'success' }] },
    });
    expect(expectProblem(json, 422).errors).toEqual([{ path: 'body.lines.0', message: 'NO-SUCH-PAYMENT is no payment of agency BTP' }]);
  });

  it('an upload for a bank or agency the Portal does not know is refused with 422 naming it', async () => {
    const stranger: Actor = { userId: 'x', role: 'bank', bank: 'NO-SUCH-BANK' };
    const res = await app.inject({
      method: 'PUT', url: statementPath('NO-SUCH-BANK'), headers: { authorization: await bearer(app.config, stranger) }, payload: { lines: [] },
    });
    expect(expectProblem(res, 422).errors).toEqual([{ path: 'params.bank', message: 'unknown bank NO-SUCH-BANK' }]);
  });
});

describe('bounded work per caller: rate limits, load shedding, readiness, security headers', () => {
  const apps: FastifyInstance[] = [];
  const build = async (overrides: Partial<AppConfig> = {}) => {
    const built = await buildApp(testConfig(overrides), undefined, false);
    apps.push(built);
    return built;
  };
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('a burst from one token gets 429 problem+json with Retry-After; another token and address are not affected', async () => {
    const app = await build({ RATE_LIMIT_PER_TOKEN: 5, RATE_LIMIT_PER_ADDRESS: 3 });
    const auditor = await bearer(app.config, { userId: 'auditor-burst', role: 'auditor' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: auditor } })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: auditor } });
    expect(expectProblem(refused, 429).type).toBe('urn:dvcqg:problem:rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const other = await bearer(app.config, { userId: 'auditor-calm', role: 'auditor' });
    expect((await app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: other } })).statusCode).toBe(200);
    // Anonymous requests count per address.
    const anonymous = [];
    for (let i = 0; i < 4; i++) anonymous.push((await app.inject({ method: 'GET', url: '/healthz' })).statusCode);
    expect(anonymous).toEqual([200, 200, 200, 429]);
  });

  it('under memory pressure the /v1 routes shed load with 503 problem+json and Retry-After; liveness still answers', async () => {
    const app = await build({ PRESSURE_MAX_HEAP_BYTES: 1 });
    const auditor = await bearer(app.config, { userId: 'auditor-1', role: 'auditor' });
    // under-pressure samples once a second.
    await new Promise((r) => setTimeout(r, 1500));
    const shed = await app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: auditor } });
    expect(expectProblem(shed, 503).type).toBe('urn:dvcqg:problem:unavailable');
    expect(Number(shed.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('/readyz?deep=1 is for VPCP only (401 without a token, 403 for others); plain /readyz shows no internal detail', async () => {
    const app = await build();
    expectProblem(await app.inject({ method: 'GET', url: '/readyz?deep=1' }), 401);
    expectProblem(await app.inject({ method: 'GET', url: '/readyz?deep=1', headers: { authorization: await bearer(app.config, officer) } }), 403);
    const plain = await app.inject({ method: 'GET', url: '/readyz' });
    expect([200, 503]).toContain(plain.statusCode);
    const body = plain.json() as { checks: Record<string, Record<string, unknown>> };
    expect(Object.keys(body.checks).sort()).toEqual(['database', 'temporal']);
    for (const check of Object.values(body.checks)) expect(Object.keys(check).sort()).toEqual(['latencyMs', 'ok']);
  });

  it('HTML pages carry the security headers; the audit pages keep their own strict CSP', async () => {
    const app = await build();
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(docs.headers['content-security-policy']).toContain("default-src 'self'");
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const page = await app.inject({ method: 'GET', url: '/v1/audit/supervisor?format=html', headers: { authorization: await bearer(app.config, vpcp) } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });
});
