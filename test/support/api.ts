import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import type { DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig, testDatabase } from './env.js';

/**
 * The API (no worker) and a database handle for one describe block: built before its tests, closed
 * after them once its `cleanup` steps have run (newest first, each allowed to fail); `get` reads as
 * an actor (none: unauthenticated).
 */
export function apiUnderTest(config = testConfig()) {
  const api = {
    config,
    app: undefined as unknown as FastifyInstance,
    database: undefined as unknown as DatabaseHandle,
    cleanup: [] as (() => Promise<unknown>)[],
    get: async (url: string, actor?: Actor) =>
      api.app.inject({ method: 'GET', url, headers: actor ? { authorization: await bearer(config, actor) } : {} }),
  };
  beforeAll(async () => {
    api.app = await buildApp(config, undefined, false);
    api.database = testDatabase();
  });
  afterAll(async () => {
    for (const undo of api.cleanup.reverse()) await undo().catch(() => undefined);
    await api.app?.close();
    await api.database?.close();
  });
  return api;
}
