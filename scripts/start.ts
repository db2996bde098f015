/**
 * `npm start`: the whole system on its embedded defaults — Temporal dev server (persistent, under
 * data/), local PostgreSQL, migrations, the worker and the API — with the URLs printed.
 * Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createDatabase } from '../db/client.js';
import { migrateAndSeed } from '../db/migrate.js';
import { ensureDatabase, ensurePostgres, setNamespaceRetention, startTemporalDevServer, waitForPort } from './runtime.js';
import { ensureLocalPayloadKeys } from './local-payload-keys.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

async function main(): Promise<void> {
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });

  // The local profile: the API listens on loopback and may use the public development secret.
  const env: Record<string, string> = { DVCQG_PROFILE: 'local' };
  // Local runs encrypt payloads too (README "Payload encryption"), with a key kept under data/.
  if (!process.env.TEMPORAL_PAYLOAD_KEYS) env.TEMPORAL_PAYLOAD_KEYS = ensureLocalPayloadKeys();
  if (!process.env.DATABASE_URL) {
    const { baseUrl } = await ensurePostgres();
    env.DATABASE_URL = await ensureDatabase(baseUrl, 'dvcqg');
  }
  let temporalServer: Awaited<ReturnType<typeof startTemporalDevServer>> | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    temporalServer = await startTemporalDevServer({
      port: 7233,
      uiPort: 8233,
      dbFile: join(dataDir, 'temporal.sqlite'),
      logFile: join(dataDir, 'temporal.log'),
    });
    env.TEMPORAL_ADDRESS = temporalServer.address;
    env.TEMPORAL_UI_URL = temporalServer.uiUrl;
  }
  const config = loadConfig({ ...process.env, ...env });
  if (temporalServer) setNamespaceRetention(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE, config.TEMPORAL_RETENTION_DAYS);
  const database = createDatabase(config.DATABASE_URL, { max: 1 });
  await migrateAndSeed(database.db);
  await database.close();

  const children: ChildProcess[] = [];
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  for (const entry of ['worker.ts', 'server.ts']) {
    const child = spawn(tsx, [join(root, entry)], { stdio: 'inherit', env: { ...process.env, ...env } });
    children.push(child);
    child.once('exit', (code) => {
      if (!stopping) {
        console.error(`${entry} exited with code ${code}; stopping`);
        void stop(1);
      }
    });
  }
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      })),
    );
    await temporalServer?.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  await waitForPort(config.HOST, config.PORT, 60_000, 'API');
  const api = `http://${config.HOST}:${config.PORT}`;
  process.stdout.write(
    [
      '',
      'DVCQG orchestrator is up / Hệ thống đã sẵn sàng:',
      `  API docs (Swagger UI):  ${api}/docs`,
      `  OpenAPI document:       ${api}/openapi.json`,
      `  Readiness (deep):       ${api}/readyz?deep=1  (VPCP bearer token)`,
      `  Temporal Web UI:        ${config.TEMPORAL_UI_URL}`,
      `  Temporal address:       ${config.TEMPORAL_ADDRESS}`,
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
