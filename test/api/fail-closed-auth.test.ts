import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildApp } from '../../api/app.js';
import { mintToken, type Actor } from '../../api/auth.js';
import { DEVELOPMENT_JWT_SECRET, loadConfig, type AppConfig } from '../../config/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const realSecret = 'a-real-secret-of-this-deployment-0123456789';
const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };

/** A configuration as a deployment loads it: no development profile, no NODE_ENV=test. */
function deployedConfig(env: Record<string, string>): AppConfig {
  return loadConfig(
    { LOG_LEVEL: 'silent', ...env },
    { DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('temporalAddress'), PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0 },
  );
}

/** Runs an entry file (server.ts, worker.ts) with a bare environment; resolves with its exit code and stderr. */
function runEntry(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(`${root}node_modules/.bin/tsx`, [`${root}${entry}`], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('fail-closed authentication: no start without real keys', () => {
  it('a configuration without the development profile and without AUTH_JWT_SECRET or AUTH_JWKS_URL refuses to load', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_JWT_SECRET .* or AUTH_JWKS_URL/);
  });

  it('the public development secret is refused outside the development profile, even when set explicitly', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/development default/);
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'too-short' })).toThrow(/AUTH_JWT_SECRET/);
  });

  it('the local profile uses the development secret only on a loopback address, and never with NODE_ENV=production', () => {
    expect(loadConfig({ DVCQG_PROFILE: 'local' }).AUTH_JWT_SECRET).toBe(DEVELOPMENT_JWT_SECRET);
    expect(() => loadConfig({ DVCQG_PROFILE: 'local', HOST: '0.0.0.0' })).toThrow(/loopback/);
    expect(() => loadConfig({ DVCQG_PROFILE: 'local', NODE_ENV: 'production' })).toThrow(/DVCQG_PROFILE=local/);
  });

  it('a JWKS-only deployment runs with a secret nobody holds', () => {
    const config = loadConfig({ AUTH_JWKS_URL: 'https://idp.example.vn/.well-known/jwks.json' });
    expect(config.AUTH_JWT_SECRET).not.toBe(DEVELOPMENT_JWT_SECRET);
    expect(config.AUTH_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('server.ts and worker.ts exit with an error when started without keys', async () => {
    const [server, worker] = await Promise.all([runEntry('server.ts', {}), runEntry('worker.ts', {})]);
    for (const run of [server, worker]) {
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('Refusing to start without authentication keys');
    }
  }, 60_000);
});

describe('bearer tokens: exp, iat, iss and aud checked; lifetime bounded', () => {
  let app: FastifyInstance;
  let config: AppConfig;
  const get = (token: string) => app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: `Bearer ${token}` } });
  const sign = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT = (j) => j, secret = realSecret) =>
    build(new SignJWT({ role: 'auditor', ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('auditor-1')).sign(new TextEncoder().encode(secret));

  beforeAll(async () => {
    config = deployedConfig({ AUTH_JWT_SECRET: realSecret, AUTH_MAX_TOKEN_LIFETIME: '1h' });
    app = await buildApp(config, undefined, false);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a token minted with the configuration is accepted', async () => {
    expect((await get(await mintToken({ secret: realSecret, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE }, auditor, '1h'))).statusCode).toBe(200);
  });

  it('a token signed with the development secret is refused (401) by a deployment with its own secret', async () => {
    const res = await get(await mintToken({ secret: DEVELOPMENT_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, auditor, '1h'));
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('a token without exp, or without iat, is refused (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await get(await sign({}, (j) => j.setIssuer('dvcqg').setAudience('dvcqg-api').setIssuedAt(now)))).statusCode).toBe(401);
    expect((await get(await sign({}, (j) => j.setIssuer('dvcqg').setAudience('dvcqg-api').setExpirationTime(now + 600)))).statusCode).toBe(401);
  });

  it('a token living longer than AUTH_MAX_TOKEN_LIFETIME is refused (401), however valid otherwise', async () => {
    const res = await get(await mintToken({ secret: realSecret, issuer: config.AUTH_JWT_ISSUER }, auditor, '2h'));
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/longer than/);
  });

  it('a token for another audience or from another issuer is refused (401)', async () => {
    expect((await get(await mintToken({ secret: realSecret, issuer: config.AUTH_JWT_ISSUER, audience: 'another-api' }, auditor, '1h'))).statusCode).toBe(401);
    expect((await get(await sign({}, (j) => j.setAudience('dvcqg-api').setIssuedAt().setExpirationTime('10m')))).statusCode).toBe(401);
    expect((await get(await mintToken({ secret: realSecret, issuer: 'someone-else' }, auditor, '1h'))).statusCode).toBe(401);
  });
});

describe('bearer tokens from an identity provider (JWKS, RS256)', () => {
  let jwks: Server;
  let app: FastifyInstance;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let privateKey: PrivateKey;
  const idpToken = (alg: 'RS256', key: PrivateKey, claims: Record<string, unknown> = {}) =>
    new SignJWT({ role: 'auditor', ...claims })
      .setProtectedHeader({ alg, kid: 'k1' })
      .setSubject('auditor-idp')
      .setIssuer('https://idp.example.vn')
      .setAudience('dvcqg-api')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const keys = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys)));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    app = await buildApp(deployedConfig({ AUTH_JWKS_URL: url, AUTH_JWT_ISSUER: 'https://idp.example.vn' }), undefined, false);
  });
  afterAll(async () => {
    await app?.close();
    jwks?.close();
  });

  const get = (token: string) => app.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: `Bearer ${token}` } });

  it("the provider's RS256 token is accepted; one signed by another key, or HS256 with the development secret, is refused", async () => {
    expect((await get(await idpToken('RS256', privateKey))).statusCode).toBe(200);
    const stranger = await generateKeyPair('RS256');
    expect((await get(await idpToken('RS256', stranger.privateKey))).statusCode).toBe(401);
    expect((await get(await mintToken({ secret: DEVELOPMENT_JWT_SECRET, issuer: 'https://idp.example.vn' }, auditor, '1h'))).statusCode).toBe(401);
  });
});
