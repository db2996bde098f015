import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { ensureTemporalServer, TEMPORAL_SERVER_CONFIG_DIR, TEMPORAL_SERVER_VERSION } from '../../scripts/temporal-server.js';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: { type: string; source: string; target: string }[];
  deploy?: { replicas?: number };
}

/** temporal-docker-compose.yml as `docker compose config` renders it (scripts/ensure-compose.sh provides compose). */
function composeServices(): Record<string, Service> {
  const compose = spawnSync('docker', ['compose', 'version']).status === 0 ? ['docker', 'compose'] : ['docker-compose'];
  const result = spawnSync(compose[0]!, [...compose.slice(1), '-f', 'temporal-docker-compose.yml', 'config', '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(40), TEMPORAL_PAYLOAD_KEYS: `k1:${Buffer.alloc(32).toString('base64')}` },
  });
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { services: Record<string, Service> }).services;
}

describe('temporal-docker-compose.yml mirrors the topology the cluster test runs (scripts/cluster.ts)', () => {
  const services = composeServices();
  const temporal = services.temporal!;

  it(`the same server version (${TEMPORAL_SERVER_VERSION}) and the same configuration file, on PostgreSQL`, () => {
    expect(temporal.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    expect(services['temporal-schema']?.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(services['temporal-namespace-setup']?.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    const config = temporal.volumes?.find((v) => v.type === 'bind');
    expect(resolve(config?.source ?? '')).toBe(TEMPORAL_SERVER_CONFIG_DIR);
    expect(temporal.command?.join(' ')).toContain(`temporal-server --config ${config?.target} --env postgres --allow-no-auth start`);
    expect(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(`${config?.target}/dynamicconfig/postgres.yaml`);
    const archive = temporal.volumes?.find((v) => v.type === 'volume');
    expect(temporal.environment?.TEMPORAL_ARCHIVE_DIR).toBe(archive?.target);
  });

  it('the schema job runs the steps of scripts/temporal-server.ts: versioning tables, then the embedded postgresql/v12 schemas', () => {
    const job = services['temporal-schema']!;
    expect(job.environment?.SQL_PLUGIN).toBe('postgres12');
    const command = job.command?.join(' ') ?? '';
    expect(command).toContain('setup-schema -v 0.0');
    expect(command).toContain('update-schema --schema-name "postgresql/v12/$${db##*:}"');
    expect(command).toContain('for db in temporal:temporal temporal_visibility:visibility');
    expect([temporal.environment?.DBNAME, temporal.environment?.VISIBILITY_DBNAME]).toEqual(['temporal', 'temporal_visibility']);
  });

  it('the namespace job sets retention and archival and registers exactly the project\'s search attributes; two worker replicas', () => {
    const command = services['temporal-namespace-setup']?.command?.join(' ') ?? '';
    expect(command).toContain(`--history-archival-state enabled --history-uri file://${temporal.environment?.TEMPORAL_ARCHIVE_DIR}/history`);
    expect(command).toContain(`--visibility-archival-state enabled --visibility-uri file://${temporal.environment?.TEMPORAL_ARCHIVE_DIR}/visibility`);
    const registered = /for sa in ([^;]+);/.exec(command)?.[1]?.trim().split(/\s+/);
    expect(registered).toEqual(SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.cliType}`));
    expect(services.worker?.deploy?.replicas).toBe(2);
  });

  it('the server accepts compose\'s environment: the configuration renders and validates, with mTLS on the frontend and between its services', async () => {
    const { server } = await ensureTemporalServer();
    // Compose's secrets, as files at the paths its environment names.
    const secrets = mkdtempSync(join(tmpdir(), 'dvcqg-compose-env-'));
    const env = Object.fromEntries(Object.entries(temporal.environment ?? {}).map(([k, v]) => {
      if (!v.startsWith('/run/secrets/')) return [k, v];
      const file = join(secrets, v.slice('/run/secrets/'.length));
      writeFileSync(file, '');
      return [k, file];
    }));
    const rendered = spawnSync(server, ['--root', join(TEMPORAL_SERVER_CONFIG_DIR, '..', '..'), '--config', 'config/temporal-server', '--env', 'postgres', 'render-config'], {
      encoding: 'utf8', env: { PATH: process.env.PATH, ...env },
    });
    expect(rendered.status, rendered.stderr).toBe(0);
    const out = rendered.stdout;
    expect(out).toContain('pluginName: postgres12');
    expect(out).toContain('connectAddr: postgresql:5432');
    expect(out).toContain('databaseName: temporal_visibility');
    expect(out).toMatch(/frontend:\s+client:[\s\S]*?server:[\s\S]*?requireClientAuth: true/);
    expect(out).toContain(`certFile: ${join(secrets, 'temporal.crt')}`);
    expect(out).toContain(`numHistoryShards: ${temporal.environment?.NUM_HISTORY_SHARDS}`);
    expect(out).toContain(`URI: file://${temporal.environment?.TEMPORAL_ARCHIVE_DIR}/history`);
  }, 20 * 60_000);
});
