import type { TestProject } from 'vitest/node';
import { createDatabase } from '../db/client.js';
import { migrateAndSeed } from '../db/migrate.js';
import {
  dropDatabase,
  ensureDatabase,
  ensurePostgres,
  ensureTestServer,
  freePort,
  startTemporalDevServer,
  type TemporalDevServer,
} from '../scripts/runtime.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    testServerPath: string;
  }
}

/**
 * Real parts for the whole run: a fresh PostgreSQL database (migrated and seeded), an in-memory
 * Temporal dev server with the project's search attributes (or TEMPORAL_ADDRESS), and the path
 * of the native time-skipping test server.
 */
export default async function setup(project: TestProject) {
  const baseUrl = process.env.DATABASE_URL
    ? process.env.DATABASE_URL.replace(/\/[^/]*$/, '')
    : (await ensurePostgres()).baseUrl;
  const name = `dvcqg_test_${Date.now()}_${process.pid}`;
  const databaseUrl = await ensureDatabase(baseUrl, name);
  const handle = createDatabase(databaseUrl, { max: 1 });
  await migrateAndSeed(handle.db);
  await handle.close();

  let server: TemporalDevServer | undefined;
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    server = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
    temporalAddress = server.address;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporalAddress);
  project.provide('testServerPath', ensureTestServer());

  return async () => {
    await server?.stop();
    if (!process.env.KEEP_TEST_DB) await dropDatabase(baseUrl, name);
  };
}
