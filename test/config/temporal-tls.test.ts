import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { loadConfig } from '../../config/index.js';
import { temporalTls } from '../../config/temporal-tls.js';
import { createDatabase } from '../../db/client.js';
import { createWorker } from '../../runtime/worker.js';
import { bearer, quietBundle, testConfig, testLogger } from '../support/env.js';

interface MtlsFrontend {
  address: string;
  /** Common names of the client certificates that got through. */
  admitted: string[];
  /** Why handshakes were refused (OpenSSL error codes). */
  refused: string[];
  close(): void;
}

/**
 * A stand-in for the mTLS listener of Temporal's frontend. The dev server of the Temporal CLI
 * (`temporal server start-dev`, CLI 1.9.1) has no TLS options, so this listener terminates TLS the
 * way the frontend does with TEMPORAL_TLS_REQUIRE_CLIENT_AUTH (server certificate `temporal`, client
 * certificates of the operator's CA only, HTTP/2) and passes the gRPC stream on to the run's dev server.
 */
async function mtlsFrontend(certs: string, upstream: string): Promise<MtlsFrontend> {
  const sep = upstream.lastIndexOf(':');
  const [host, port] = [upstream.slice(0, sep), Number(upstream.slice(sep + 1))];
  const admitted: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      key: readFileSync(join(certs, 'temporal.key')),
      cert: readFileSync(join(certs, 'temporal.crt')),
      ca: readFileSync(join(certs, 'ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client: TLSSocket) => {
      admitted.push(String(client.getPeerCertificate().subject.CN));
      const server = connect(port, host);
      for (const s of [client, server]) {
        sockets.add(s);
        s.on('error', () => undefined).on('close', () => sockets.delete(s));
      }
      client.pipe(server).pipe(client);
    },
  );
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => refused.push(err.code ?? err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: listening } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${listening}`,
    admitted,
    refused,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('Trust boundary around Temporal: only holders of a client certificate of the CA reach the frontend', () => {
  const certs = mkdtempSync(join(tmpdir(), 'dvcqg-certs-'));
  const otherCa = mkdtempSync(join(tmpdir(), 'dvcqg-other-ca-'));
  let frontend: MtlsFrontend;
  const vpcp: Actor = { userId: 'vpcp-operator', role: 'vpcp', agency: 'VPCP' };

  /** The TLS keys of a process holding `holder`'s certificate (from `dir`), trusting the CA of `certs`. */
  const tlsKeys = (holder?: string, dir = certs) => ({
    TEMPORAL_ADDRESS: frontend.address,
    TEMPORAL_TLS_CA: join(certs, 'ca.crt'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal',
    ...(holder ? { TEMPORAL_TLS_CERT: join(dir, `${holder}.crt`), TEMPORAL_TLS_KEY: join(dir, `${holder}.key`) } : {}),
  });

  beforeAll(async () => {
    // The operator's tool (scripts/temporal-certs.sh, openssl): this run's CA and a second, foreign one.
    for (const dir of [certs, otherCa]) execFileSync('bash', ['scripts/temporal-certs.sh', dir], { stdio: 'ignore' });
    frontend = await mtlsFrontend(certs, inject('temporalAddress'));
  });
  afterAll(() => {
    frontend?.close();
    for (const dir of [certs, otherCa]) rmSync(dir, { recursive: true, force: true });
  });

  it('the API and the worker connect with their own client certificates: a deep readiness check runs a workflow end to end over mTLS', async () => {
    const apiConfig = testConfig(tlsKeys('api'));
    const workerConfig = { ...apiConfig, ...tlsKeys('worker') };
    const database = createDatabase(workerConfig.DATABASE_URL, { max: 2 });
    const { worker, connection } = await createWorker({
      address: workerConfig.TEMPORAL_ADDRESS,
      tls: temporalTls(workerConfig),
      namespace: workerConfig.TEMPORAL_NAMESPACE,
      taskQueue: workerConfig.TASK_QUEUE,
      deps: { db: database.db, logger: testLogger() },
      workflowBundle: await quietBundle(new URL('../../workflows/diagnostic.workflow.ts', import.meta.url)),
    });
    const app = await buildApp(apiConfig, undefined, false);
    try {
      const res = await worker.runUntil(async () =>
        app.inject({ method: 'GET', url: '/readyz?deep=1', headers: { authorization: await bearer(apiConfig, vpcp) } }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ready', checks: { temporal: { ok: true }, path: { ok: true } } });
    } finally {
      await app.close();
      await connection.close();
      await database.close();
    }
    expect([...new Set(frontend.admitted)].sort()).toEqual(['dvcqg-api', 'dvcqg-worker']);
  });

  it('without a client certificate, with one of another CA, or in plaintext, the frontend refuses the worker and the API', async () => {
    const [admittedBefore, refusedBefore] = [frontend.admitted.length, frontend.refused.length];
    const noCertificate = testConfig(tlsKeys());
    await expect(NativeConnection.connect({ address: frontend.address, tls: temporalTls(noCertificate) })).rejects.toThrow();
    await expect(NativeConnection.connect({ address: frontend.address, tls: temporalTls(testConfig(tlsKeys('worker', otherCa))) })).rejects.toThrow();
    await expect(NativeConnection.connect({ address: frontend.address })).rejects.toThrow();

    const app = await buildApp(noCertificate, undefined, false);
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ checks: { database: { ok: true }, temporal: { ok: false } } });
    } finally {
      await app.close();
    }
    // No connection got through; the handshakes without a certificate were refused as such.
    expect(frontend.admitted.length).toBe(admittedBefore);
    expect(frontend.refused.slice(refusedBefore)).toContain('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('CA rotation: a CA file holding the old and the new root verifies the server for the worker and the API client', async () => {
    const bundle = join(otherCa, 'both-roots.crt');
    writeFileSync(bundle, readFileSync(join(otherCa, 'ca.crt'), 'utf8') + readFileSync(join(certs, 'ca.crt'), 'utf8'));
    const tls = temporalTls({ ...tlsKeys('worker'), TEMPORAL_TLS_CA: bundle });
    const native = await NativeConnection.connect({ address: frontend.address, tls });
    await native.close();
    const client = await Connection.connect({ address: frontend.address, tls, connectTimeout: '5s' });
    await client.close();
  });

  it('temporalTls: plaintext without TLS keys; otherwise the CA, the server name and the client pair, read from their files', () => {
    expect(temporalTls({})).toBeUndefined();
    const tls = temporalTls(tlsKeys('api'));
    expect(tls?.serverNameOverride).toBe('temporal');
    expect(Buffer.from(tls?.serverRootCACertificate ?? []).toString()).toBe(readFileSync(join(certs, 'ca.crt'), 'utf8'));
    expect(Buffer.from(tls?.clientCertPair?.key ?? []).toString()).toMatch(/BEGIN PRIVATE KEY/);
    // A CA alone: TLS with server verification, no client certificate.
    expect(temporalTls({ TEMPORAL_TLS_CA: join(certs, 'ca.crt') })?.clientCertPair).toBeUndefined();
    expect(() => temporalTls({ TEMPORAL_TLS_CA: join(certs, 'missing.crt') })).toThrow(/^TEMPORAL_TLS_CA: cannot read .*missing\.crt \(ENOENT\)$/);
  });

  it('production refuses to start without a client certificate for Temporal, unless TEMPORAL_TLS_DISABLE_I_KNOW=1', () => {
    const production = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), TEMPORAL_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}` };
    const pair = { TEMPORAL_TLS_CERT: '/run/secrets/temporal-client.crt', TEMPORAL_TLS_KEY: '/run/secrets/temporal-client.key' };
    expect(() => loadConfig(production)).toThrow(/production connects to Temporal with a client certificate \(mTLS\)/);
    expect(() => loadConfig({ ...production, TEMPORAL_TLS_CA: '/run/secrets/temporal-ca.crt' })).toThrow(/client certificate/);
    expect(loadConfig({ ...production, ...pair }).TEMPORAL_TLS_CERT).toBe(pair.TEMPORAL_TLS_CERT);
    expect(loadConfig({ ...production, TEMPORAL_TLS_DISABLE_I_KNOW: '1' }).TEMPORAL_TLS_CERT).toBeUndefined();
    expect(() => loadConfig({ ...production, TEMPORAL_TLS_CERT: pair.TEMPORAL_TLS_CERT })).toThrow(/TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/);
    expect(() => loadConfig({ NODE_ENV: 'test', TEMPORAL_TLS_KEY: pair.TEMPORAL_TLS_KEY })).toThrow(/go together/);
    // Development and tests run in plaintext against the local dev server.
    expect(loadConfig({ NODE_ENV: 'test' }).TEMPORAL_TLS_CERT).toBeUndefined();
  });
});
