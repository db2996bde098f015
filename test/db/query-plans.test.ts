import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig } from '../support/env.js';

/**
 * Issue 18.3: every query the API runs must be able to use an index — no sequential scan of a table
 * that grows with cases. The check does not depend on how many rows the test database holds: each
 * statement is EXPLAINed with `enable_seqscan = off`, under which PostgreSQL still plans a Seq Scan
 * only when no index can serve it at all (it is then the only path). Small reference tables, read
 * whole by design, are allowed.
 *
 * Every GET route of the OpenAPI document is called as each role (path ids made up, required
 * query values taken from the schema), so routes added later are checked without touching this file.
 */
const REFERENCE_TABLES = new Set([
  'agencies', 'banks', 'fee_types', 'calendar_versions', 'calendar_days', 'evaluation_configs', 'rule_sets',
  '__drizzle_migrations',
]);

interface Captured { route: string; query: string; parameters: unknown[] }
interface PlanNode { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] }

const seqScans = (node: PlanNode): string[] => [
  ...(node['Node Type'] === 'Seq Scan' && node['Relation Name'] ? [node['Relation Name']] : []),
  ...(node.Plans ?? []).flatMap(seqScans),
];

/** A value the route's schema accepts for a required query parameter (or a plausible one). */
function sampleValue(name: string, schema: { type?: string; enum?: unknown[]; format?: string; anyOf?: { format?: string; type?: string }[] } = {}): string {
  if (schema.enum?.length) return String(schema.enum[0]);
  if (schema.type === 'integer' || schema.type === 'number') return '1';
  if (schema.type === 'boolean') return 'true';
  if (/date|from|to|at|on|day|since|until/i.test(name)) return '2026-06-01';
  return 'BTP';
}

describe('query plans (issue 18.3): every API query can use an index', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let checker: DatabaseHandle;
  const captured: Captured[] = [];
  let current = '';

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL, {
      debug: (query, parameters) => {
        if (current && /^\s*(select|with)\b/i.test(query)) captured.push({ route: current, query, parameters });
      },
    });
    checker = createDatabase(inject('databaseUrl'), { max: 1 });
    app = await buildApp(config, { db: database.db }, false);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await checker?.close();
  });

  it('SPEC §6 / issue 18.3: no GET route, for any role, plans a sequential scan of a growing table', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }[] }>>;
    };
    const actors: Actor[] = [
      { userId: 'plans-vpcp', role: 'vpcp', agency: 'VPCP' },
      { userId: 'plans-auditor', role: 'auditor' },
      { userId: 'plans-agency', role: 'agency', agency: 'BTP' },
      { userId: 'plans-bank', role: 'bank', bank: 'VCB' },
    ];
    let routes = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      const get = operations.get;
      if (!get || path.startsWith('/docs') || path === '/readyz' || path === '/metrics') continue;
      routes++;
      const url = path.replace(/\{[^}]+\}/g, (m) => (/jobId|version|seq/i.test(m) ? '1' : 'plan-check-1'));
      const query = new URLSearchParams();
      for (const p of get.parameters ?? []) if (p.in === 'query' && p.required) query.set(p.name, sampleValue(p.name, p.schema as never));
      for (const actor of actors) {
        current = `GET ${path} as ${actor.role}`;
        await app.inject({ method: 'GET', url: `${url}${query.size ? `?${query}` : ''}`, headers: { authorization: await bearer(config, actor) } });
      }
      current = '';
    }
    expect(routes).toBeGreaterThan(20);
    // Not vacuous: the list routes did reach the database.
    expect(captured.length).toBeGreaterThan(20);

    const offenders = new Map<string, Set<string>>();
    const seen = new Set<string>();
    for (const { route, query, parameters } of captured) {
      if (seen.has(query)) continue;
      seen.add(query);
      const plan = await checker.sql.begin(async (tx) => {
        await tx.unsafe('SET LOCAL enable_seqscan = off');
        const [row] = await tx.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, parameters as never[]);
        return (row as unknown as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
      });
      for (const table of seqScans(plan).filter((t) => !REFERENCE_TABLES.has(t) && !t.startsWith('pg_'))) {
        const key = `${table} ← ${route}`;
        offenders.set(key, (offenders.get(key) ?? new Set()).add(query.slice(0, 240)));
      }
    }
    if (offenders.size) console.log([...offenders].map(([k, q]) => `${k}\n  ${[...q].join('\n  ')}`).join('\n'));
    expect([...offenders.keys()].sort()).toEqual([]);
  });
});
