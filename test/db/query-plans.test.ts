import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { encodeCursor, type CursorPart } from '../../api/schemas.js';
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

/**
 * Every list's keyset query (issue 18.3): the page after a cursor, alone and with each filter the
 * list offers — the queries a client walking deep pages runs, which the route walk above (first
 * pages only) never issues. A new keyset list is added here.
 */
const at = '2026-06-01T03:00:00.000Z';
const KEYSET_PAGES: { url: string; cursor: CursorPart[]; filters: string[]; as?: Actor['role'] }[] = [
  { url: '/v1/supervision/breaches', cursor: [at, 'wf-1', 'clock-1'], filters: ['', 'owner=VPCP', 'agency=BTP', 'process=feedback'] },
  { url: '/v1/supervision/due-soon', cursor: [at, 'wf-1', 'clock-1'], filters: ['', 'owner=VPCP', 'agency=BTP'] },
  { url: '/v1/feedback/', cursor: [at, 'item-1'], filters: ['', 'agency=BTP&status=received', 'from=2026-01-01&to=2026-12-31'] },
  { url: '/v1/feedback/', cursor: [at, 'item-1'], filters: [''], as: 'agency' },
  { url: '/v1/feedback/published', cursor: [at, 'item-1'], filters: ['', 'agency=BTP', 'tthcCode=1.000001', 'category=covid-support'] },
  { url: '/v1/refunds/', cursor: [at, 'refund-1'], filters: [''] },
  { url: '/v1/payments/', cursor: [at, 'payment-BTP-1'], filters: ['', 'agency=BTP', 'bank=VCB', 'status=settled', 'txnDate=2026-06-01'] },
  { url: '/v1/payments/', cursor: [at, 'payment-BTP-1'], filters: [''], as: 'agency' },
  { url: '/v1/notifications/', cursor: [at, 'notice-1'], filters: ['', 'unread=true'] },
  { url: '/v1/tthc/decisions', cursor: ['2026-06-01', 'decision-1'], filters: ['', 'agency=BTP'] },
  { url: '/v1/tthc/reviews', cursor: [at, 'review-1'], filters: ['', 'agency=BTP'] },
  { url: '/v1/tthc/published-decisions', cursor: ['2026-06-01', 'decision-1'], filters: ['', 'agency=BTP', 'signedFrom=2026-01-01&signedTo=2026-12-31'] },
  { url: '/v1/tthc/procedures', cursor: ['1.000001'], filters: ['', 'agency=BTP', 'status=published', 'code=1.000001', 'localizes=1.000001', 'level=provincial', 'field=H%E1%BB%99'] },
  { url: '/v1/dvctt/services', cursor: [at, 'svc-1'], filters: ['', 'status=proposed'] },
  { url: '/v1/dvctt/reports/breaches', cursor: [at, 'wf-1', 'clock-1'], filters: ['', 'serviceCode=svc-1', 'owner=VPCP'] },
  { url: '/v1/dvctt/reports/breaches', cursor: [at, 'wf-1', 'clock-1'], filters: [''], as: 'agency' },
  { url: '/v1/dvctt/reports/rounds', cursor: [3, 'svc-1'], filters: ['', 'agency=BTP&minRounds=2'] },
  { url: '/v1/accounts/issues', cursor: [at, 'issue-1'], filters: ['', 'status=received', 'accountId=acc-1'] },
  { url: '/v1/operations/support-requests', cursor: [at, 'request-1'], filters: ['', 'agency=BTP', 'status=received'] },
  { url: '/v1/operations/support-requests', cursor: [at, 'request-1'], filters: [''], as: 'agency' },
  { url: '/v1/operations/maintenance', cursor: [at, 'window-1'], filters: ['', 'status=announced', 'from=2026-01-01&to=2026-12-31'] },
  { url: '/v1/operations/outages', cursor: [at, 'outage-1'], filters: ['', 'agency=BTP', 'systemId=sys-1', 'from=2026-01-01&to=2026-12-31'] },
  { url: '/v1/evaluation/runs', cursor: [at, 'run-1'], filters: [''] },
  { url: '/v1/supervision/consistency', cursor: [1, 5], filters: ['', 'cause=missing-clock-row'] },
  { url: '/v1/permissions/grants', cursor: [at, '00000000-0000-4000-8000-000000000001'], filters: ['', 'agency=BTP', 'agency=BTP&officer=officer-1', 'permission=tthc.publish'] },
];

/** A value the route's schema accepts for a required query parameter (or a plausible one). */
function sampleValue(name: string, schema: { type?: string; enum?: unknown[]; format?: string; anyOf?: { format?: string; type?: string }[] } = {}): string {
  if (schema.enum?.length) return String(schema.enum[0]);
  if (schema.type === 'integer' || schema.type === 'number') return '1';
  if (schema.type === 'boolean') return 'true';
  if (/date|from|to|at|on|day|since|until/i.test(name)) return '2026-06-01';
  return 'BTP';
}

/** The tables each captured statement would read by a sequential scan (with `enable_seqscan = off`: only where no index can serve). */
async function offendersOf(checker: DatabaseHandle, captured: Captured[]): Promise<Map<string, Set<string>>> {
  const offenders = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const { route, query, parameters } of captured) {
    const key = `${query}\u0000${JSON.stringify(parameters)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const plan = await checker.sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL enable_seqscan = off');
      const [row] = await tx.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, parameters as never[]);
      return (row as unknown as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
    });
    for (const table of seqScans(plan).filter((t) => !REFERENCE_TABLES.has(t) && !t.startsWith('pg_'))) {
      const where = `${table} ← ${route}`;
      offenders.set(where, (offenders.get(where) ?? new Set()).add(query.slice(0, 240)));
    }
  }
  if (offenders.size) console.log([...offenders].map(([k, q]) => `${k}\n  ${[...q].join('\n  ')}`).join('\n'));
  return offenders;
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

    const offenders = await offendersOf(checker, captured);
    expect([...offenders.keys()].sort()).toEqual([]);
  });

  it('issue 18.3: every list pages by keyset cursor — no GET route offers ?page without ?cursor', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    const pageOnly = Object.entries(doc.paths).filter(([, ops]) => {
      const names = new Set((ops.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      return names.has('page') && !names.has('cursor');
    }).map(([path]) => path);
    expect(pageOnly).toEqual([]);
    // Every list offering a cursor is walked below.
    const cursored = Object.entries(doc.paths).filter(([, ops]) => (ops.get?.parameters ?? []).some((p) => p.in === 'query' && p.name === 'cursor')).map(([path]) => path);
    expect(cursored.filter((path) => !KEYSET_PAGES.some((k) => k.url === path)).sort()).toEqual([]);
  });

  it('issue 18.3: the page after a cursor, with each filter, plans no sequential scan of a growing table', async () => {
    const roles: Record<Actor['role'], Actor> = {
      vpcp: { userId: 'plans-vpcp', role: 'vpcp', agency: 'VPCP' },
      agency: { userId: 'plans-agency', role: 'agency', agency: 'BTP' },
    } as Record<Actor['role'], Actor>;
    const deepPages: Captured[] = [];
    captured.length = 0;
    for (const { url, cursor, filters, as = 'vpcp' } of KEYSET_PAGES) {
      for (const filter of filters) {
        current = `GET ${url}?${filter} after a cursor as ${as}`;
        const res = await app.inject({ method: 'GET', url: `${url}?${filter ? `${filter}&` : ''}cursor=${encodeCursor(cursor)}`, headers: { authorization: await bearer(config, roles[as]) } });
        // The consistency report's cursor names a run this database never had: 404, after reading for it.
        expect(res.statusCode, `${current}: ${res.body}`).toBe(url.endsWith('/consistency') ? 404 : 200);
        const statements = captured.splice(0).filter((c) => c.route === current);
        expect(statements.length, current).toBeGreaterThan(0);
        deepPages.push(...statements);
      }
    }
    current = '';
    const offenders = await offendersOf(checker, deepPages);
    expect([...offenders.keys()].sort()).toEqual([]);
  });
});
