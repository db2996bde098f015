import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** `docker compose` (plugin) or Debian's `docker-compose`, whichever scripts/ensure-compose.sh provided. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  throw new Error('docker compose is not installed: run scripts/ensure-compose.sh');
}

interface RenderedService {
  ports?: { host_ip?: string; published?: string }[];
  networks?: Record<string, unknown>;
  environment?: Record<string, string>;
  secrets?: { source: string; target: string }[];
}

/** The file as `docker compose config` renders it, with the secrets production must bring. */
function rendered(): { services: Record<string, RenderedService>; networks: Record<string, { internal?: boolean }> } {
  const [cmd, ...args] = composeCommand();
  const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config', '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(40), TEMPORAL_PAYLOAD_KEYS: `k1:${Buffer.alloc(32).toString('base64')}` },
  });
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as ReturnType<typeof rendered>;
}

describe('temporal-docker-compose.yml', () => {
  it('validates with `docker compose config` and declares the production topology', () => {
    const [cmd, ...args] = composeCommand();
    const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(40), TEMPORAL_PAYLOAD_KEYS: `k1:${Buffer.alloc(32).toString('base64')}` },
    });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    expect(Object.keys(config.services).sort()).toEqual(
      ['api', 'postgresql', 'temporal', 'temporal-namespace-setup', 'temporal-schema', 'temporal-ui', 'worker'].sort(),
    );
    // Retention is set explicitly and Temporal archives every closed history as a second copy.
    const setup = config.services['temporal-namespace-setup']?.command?.join(' ') ?? '';
    expect(setup).toMatch(/--retention/);
    expect(setup).toMatch(/--history-archival-state enabled --history-uri file:\/\/\/var\/temporal\/archive\/history/);
    expect(config.services['temporal-namespace-setup']?.environment?.TEMPORAL_RETENTION_DAYS).toBe('14');
    // Payloads are encrypted in production, and the Web UI decodes them through the API's codec server.
    expect(config.services.worker?.environment?.TEMPORAL_PAYLOAD_KEYS).toMatch(/^k1:/);
    expect(config.services['temporal-ui']?.environment?.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:3000/v1/codec');
  });

  it('project rule: the workers load the workflow bundle the image builds from its own sources at build time (no bundling at start); the API does not', () => {
    const built = /^RUN node_modules\/\.bin\/tsx scripts\/bundle-workflows\.ts (\S+)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(built).toBeDefined();
    const { services } = rendered();
    expect(services.worker?.environment?.WORKFLOW_BUNDLE_PATH).toBe(`/app/${built}`);
    expect(services.api?.environment?.WORKFLOW_BUNDLE_PATH).toBeUndefined();
  });

  it('refuses to render without TEMPORAL_PAYLOAD_KEYS (production encrypts payloads)', () => {
    const [cmd, ...args] = composeCommand();
    const env: NodeJS.ProcessEnv = { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(40) };
    delete env.TEMPORAL_PAYLOAD_KEYS;
    const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config'], { encoding: 'utf8', env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('TEMPORAL_PAYLOAD_KEYS');
  });

  it('Trust boundary: Temporal publishes no port, sits on the internal network only and requires mTLS; only the API is on edge', () => {
    const { services, networks } = rendered();
    expect(networks.internal?.internal).toBe(true);
    expect(services.temporal?.ports).toBeUndefined();
    expect(Object.keys(services.temporal?.networks ?? {})).toEqual(['internal']);
    for (const service of Object.values(services)) expect(Object.keys(service.networks ?? {})).toContain('internal');
    expect(Object.keys(services).filter((name) => 'edge' in (services[name]?.networks ?? {}))).toEqual(['api']);
    // Published: the API, and the read-only Web UI on the host's loopback only.
    expect(Object.keys(services).filter((name) => (services[name]?.ports ?? []).length > 0).sort()).toEqual(['api', 'temporal-ui']);
    expect(services['temporal-ui']?.ports?.map((p) => p.host_ip)).toEqual(['127.0.0.1']);
    expect(services['temporal-ui']?.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    // Every client of the frontend presents its own certificate of the operator's CA.
    expect(services.temporal?.environment?.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
    const clients = ['api', 'worker', 'temporal-namespace-setup', 'temporal-ui'];
    const certificateOf = (name: string) => services[name]?.secrets?.find((s) => s.target === 'temporal-client.crt')?.source;
    expect(clients.map(certificateOf)).toEqual(['temporal-api-cert', 'temporal-worker-cert', 'temporal-admin-cert', 'temporal-ui-cert']);
    for (const name of clients) {
      expect(services[name]?.environment).toMatchObject({
        TEMPORAL_TLS_CA: '/run/secrets/temporal-ca.crt',
        TEMPORAL_TLS_CERT: '/run/secrets/temporal-client.crt',
        TEMPORAL_TLS_KEY: '/run/secrets/temporal-client.key',
      });
    }
  });

  it('refuses to render without AUTH_JWT_SECRET (production must set it)', () => {
    const [cmd, ...args] = composeCommand();
    const env = { ...process.env };
    delete env.AUTH_JWT_SECRET;
    const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config'], { encoding: 'utf8', env });
    expect(result.status).not.toBe(0);
  });
});
