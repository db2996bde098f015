/**
 * `npm run start:cluster`: the production topology on this machine — the Temporal server built from
 * source on PostgreSQL (databases `temporal`, `temporal_visibility`), the API and two worker
 * processes (CLUSTER_WORKERS), the application database `dvcqg_cluster` — with the URLs printed.
 * Ctrl-C stops everything it started; the databases and data/cluster/ (logs, archive) stay.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './cluster.js';
import { ensureLocalPayloadKeys } from './local-payload-keys.js';
import { portOpen } from './runtime.js';

const dir = fileURLToPath(new URL('../data/cluster/', import.meta.url));

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const temporalPort = Number(process.env.CLUSTER_TEMPORAL_PORT ?? 7233);
  const apiPort = Number(process.env.PORT ?? 3000);
  for (const [port, what] of [[temporalPort, 'CLUSTER_TEMPORAL_PORT'], [apiPort, 'PORT']] as const) {
    if (await portOpen('127.0.0.1', port)) throw new Error(`port ${port} is in use (npm start running?); stop it or set ${what}`);
  }
  const cluster = await startCluster({
    databases: { app: 'dvcqg_cluster', persistence: 'temporal', visibility: 'temporal_visibility' },
    workers: Number(process.env.CLUSTER_WORKERS ?? 2),
    dir,
    temporalPort,
    apiPort,
    inheritOutput: true,
    // Payloads are encrypted with the local key of npm start (README "Payload encryption").
    env: { TEMPORAL_PAYLOAD_KEYS: process.env.TEMPORAL_PAYLOAD_KEYS ?? ensureLocalPayloadKeys() },
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  for (const child of [cluster.api, ...cluster.workers]) {
    void child.exited.then((code) => {
      if (!stopping) {
        console.error(`${child.name} exited with code ${code}; stopping`);
        void stop(1);
      }
    });
  }
  const api = cluster.apiUrl;
  process.stdout.write(
    [
      '',
      'DVCQG production topology is up / Hệ thống (cụm) đã sẵn sàng:',
      `  API docs (Swagger UI):  ${api}/docs`,
      `  OpenAPI document:       ${api}/openapi.json`,
      `  Readiness (deep):       ${api}/readyz?deep=1  (VPCP bearer token)`,
      `  Temporal frontend:      ${cluster.temporalAddress}  (temporal-server on PostgreSQL: temporal, temporal_visibility)`,
      `  Workers:                ${cluster.workers.map((w) => `${w.name} pid ${w.pid}`).join(', ')}`,
      `  Temporal log, archive:  ${join(dir, 'temporal-server.log')}, ${cluster.archiveDir}`,
      `  Find cases:             temporal workflow list --address ${cluster.temporalAddress} --query "DvcqgProcess = 'payment'"`,
      `  Mint a token:           npm run token -- --role vpcp --agency VPCP`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
