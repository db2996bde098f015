import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createConsistencyActivities } from '../../activities/consistency.js';
import type { Actor } from '../../api/auth.js';
import type { ConsistencyCheckResult } from '../../workflows/consistency.definitions.js';
import type { ClockSpec } from '../../workflows/sla.definitions.js';
import { breachOwnersKey, slaBreachedKey } from '../../workflows/search-attributes.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, testLogger, uniqueId } from '../support/env.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are asserted field by field */
type Body = Record<string, any>;

const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
const btp: Actor = { userId: uniqueId('btp'), role: 'agency', agency: 'BTP' };

/** Every case of this file starts with it: the checker runs narrowed to it (other files share the database). */
const scope = `${uniqueId('cc')}-`;
const fixtureQueue = uniqueId('consistency-fixtures');

/** Due long ago: breached the moment it starts (Art 27.3, VPCP's 2 working days). */
const overdue: ClockSpec = {
  key: 'review', article: 'Art 27.3', step: 'VPCP reviews', stepVi: 'VPCP xem xét', owner: 'VPCP', ownerKind: 'vpcp',
  amount: 2, unit: 'workingDays', stage: 'review', from: '2026-01-05T02:00:00.000Z',
};
/** Due in 20 working days: pending for the whole test. */
const open = (key = 'test'): ClockSpec => ({
  key, article: 'Art 27.4', step: 'The agency tests the service', stepVi: 'Cơ quan kiểm thử dịch vụ', owner: 'BTP', ownerKind: 'agency',
  amount: 20, unit: 'workingDays', stage: 'testing',
});

describe('Art 34 / SPEC §3 supervision truth: the consistency checker finds and repairs every drift between Temporal and sla_clocks', () => {
  let stack: E2eStack;
  let client: Client;
  let checker: ReturnType<typeof createConsistencyActivities>;
  const handles = new Map<string, WorkflowHandle>();

  const start = async (name: string, workflowType: string, args: unknown) => {
    const handle = await client.workflow.start(workflowType, { taskQueue: fixtureQueue, workflowId: `${scope}${name}`, args: [args] });
    handles.set(name, handle);
    return handle;
  };
  const id = (name: string) => `${scope}${name}`;
  const rows = (name: string) =>
    stack.database.sql<{ clock_key: string; outcome: string; revision: number; completed_by: string | null; breached_at: Date | null }[]>`
      select clock_key, outcome, revision, completed_by, breached_at from sla_clocks where workflow_id = ${id(name)} order by clock_key`;
  const check = () => checker.checkSlaConsistency({ scope });
  /** How many of this file's cases Temporal's visibility lists for a query. */
  const listed = async (query: string) => {
    let n = 0;
    for await (const info of client.workflow.list({ query: `WorkflowId STARTS_WITH '${scope}' AND ${query}` })) n += info.workflowId ? 1 : 0;
    return n;
  };
  const findingsOf = async (result: ConsistencyCheckResult) =>
    stack.database.sql<{ workflow_id: string; cause: string; repair: string; detail: string }[]>`
      select workflow_id, cause, repair, detail from consistency_findings where run_id = ${result.runId} order by seq`;

  beforeAll(async () => {
    stack = await startE2e({ extraWorkers: [{ taskQueue: fixtureQueue, workflowsPath: new URL('../fixtures/consistency-workflows.ts', import.meta.url) }] });
    client = stack.app.temporal;
    checker = createConsistencyActivities(stack.database.db, client, testLogger());

    await start('clean-breached', 'slaFixtureWorkflow', { agency: 'BTP', spec: overdue });
    await start('clean-open', 'slaFixtureWorkflow', { agency: 'BTP', spec: open() });
    await start('continued', 'slaFinishedBreachThenContinueFixtureWorkflow', { agency: 'BTP', spec: overdue, next: open('next') });
    await start('deleted-row', 'slaFixtureWorkflow', { agency: 'BTP', spec: open() });
    await start('lost-breach', 'slaFixtureWorkflow', { agency: 'BTP', spec: overdue });
    await start('revision-ahead', 'slaFixtureWorkflow', { agency: 'BTP', spec: open() });
    await start('phantom-breach', 'slaFixtureWorkflow', { agency: 'BTP', spec: open() });
    await start('terminated', 'slaFixtureWorkflow', { agency: 'BTP', spec: open() });

    // Every case has projected its clocks (the continued one: both runs) and visibility lists them all.
    await eventually(async () => (await stack.database.sql<{ n: number }[]>`
      select count(*)::int as n from sla_clocks where starts_with(workflow_id, ${scope}) and (clock_key <> 'review' or outcome = 'breached')`)[0]!.n, (n) => n === 9, 30_000);
    await eventually(() => listed(`ExecutionStatus = 'Running' AND DvcqgNextDueAt IS NOT NULL`), (n) => n === 6, 30_000);
  }, 180_000);
  afterAll(async () => {
    for (const handle of handles.values()) await handle.terminate('test finished').catch(() => undefined);
    await stack?.stop();
  });

  it('a clean system — breached, open and continued-as-new cases — reports 0 disagreements', async () => {
    const result = await check();
    expect(await findingsOf(result)).toEqual([]);
    expect(result).toMatchObject({ disagreements: 0, repaired: 0, cycleCompleted: true, nextWorkflowId: '' });
    expect(result.casesChecked).toBe(8);
    // The continued case keeps the first run's finished breach in Temporal's own visibility.
    const continued = await handles.get('continued')!.describe();
    expect(continued.typedSearchAttributes.get(breachOwnersKey)).toEqual(['VPCP']);
  });

  it('drifts made behind the workflows\' backs are found with their cause, repaired from the workflows, and the next run reports 0', async () => {
    // A process bug writes search attributes behind the tracker's back.
    await start('visibility-drift', 'slaVisibilityDriftFixtureWorkflow', { agency: 'BTP', spec: open() });
    await eventually(() => listed(`DvcqgBreachOwners = 'NOBODY'`), (n) => n === 1, 30_000);
    await eventually(async () => (await rows('visibility-drift')).length, (n) => n === 1);
    const sql = stack.database.sql;
    await sql`delete from sla_clocks where workflow_id = ${id('deleted-row')}`;
    // A breach write lost (as before continue-as-new): the row still says pending.
    await sql`update sla_clocks set outcome = 'pending', breached_at = null where workflow_id = ${id('lost-breach')}`;
    // A row whose revision ran ahead of the workflow's (a reused clock key restarting at 0).
    await sql`update sla_clocks set revision = 99, outcome = 'met', completed_at = now() where workflow_id = ${id('revision-ahead')}`;
    // The projection says breached, the workflow and visibility say pending.
    await sql`update sla_clocks set outcome = 'breached', breached_at = due_at where workflow_id = ${id('phantom-breach')}`;
    // Terminated before the record sweep ran: its clock is left pending.
    const terminated = handles.get('terminated')!;
    await terminated.terminate('operator error');
    // Visibility indexes the termination a moment after it.
    await eventually(() => listed(`ExecutionStatus = 'Terminated'`), (n) => n === 1, 30_000);

    const result = await check();
    const found = Object.fromEntries((await findingsOf(result)).map((f) => [f.workflow_id.slice(scope.length), f]));
    expect(Object.fromEntries(Object.entries(found).map(([name, f]) => [name, [f.cause, f.repair]]))).toEqual({
      'deleted-row': ['missing-clock-row', 'signalled'],
      'lost-breach': ['missing-breach-write', 'signalled'],
      'revision-ahead': ['revision-ahead', 'signalled'],
      'phantom-breach': ['projection-altered', 'signalled'],
      terminated: ['pending-after-close', 'cancelled'],
      'visibility-drift': ['visibility-stale', 'signalled'],
    });
    expect(result).toMatchObject({ disagreements: 6, repaired: 6 });

    // The workflows rewrote their clocks (newer revisions) and search attributes: the next run is clean.
    const after = await eventually(check, (r) => r.disagreements === 0, 30_000);
    expect(after.repaired).toBe(0);
    expect((await rows('deleted-row')).map((r) => [r.clock_key, r.outcome])).toEqual([['test', 'pending']]);
    expect((await rows('lost-breach'))[0]).toMatchObject({ outcome: 'breached' });
    expect((await rows('revision-ahead'))[0]).toMatchObject({ outcome: 'pending', revision: 2 });
    expect((await rows('phantom-breach'))[0]).toMatchObject({ outcome: 'pending', breached_at: null });
    expect((await rows('terminated'))[0]).toMatchObject({ outcome: 'cancelled', completed_by: 'case terminated' });
    const drift = await handles.get('visibility-drift')!.describe();
    expect(drift.typedSearchAttributes.get(slaBreachedKey)).toBe(false);
  });

  it('GET /v1/supervision/consistency shows the latest run of a scope to VPCP and auditors, and refuses agencies', async () => {
    const latest = await stack.call<Body>('GET', `/v1/supervision/consistency?scope=${encodeURIComponent(scope)}`, auditor);
    expect(latest.status).toBe(200);
    expect(latest.body.run).toMatchObject({ scope, disagreements: 0, cycleCompleted: true });
    const runs = await stack.database.sql<{ id: number }[]>`select id from consistency_runs where scope = ${scope} and disagreements = 6`;
    expect(runs.length).toBeGreaterThan(0);
    const forVpcp = await stack.call<Body>('GET', `/v1/supervision/consistency?scope=${encodeURIComponent(scope)}`, vpcp);
    expect(forVpcp.body.run.id).toBe(latest.body.run.id);
    expect((await stack.call('GET', '/v1/supervision/consistency', btp)).status).toBe(403);
  });
});
