import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import {
  cancelClockRow,
  caseProjectionsAfter,
  caseProjectionsOf,
  clockRowsOf,
  deleteClockRow,
  latestConsistencyRun,
  saveConsistencyRun,
  type CaseProjection,
  type ClockRow,
  type ConsistencyFinding,
} from '../db/queries/consistency.js';
import { cancelPendingClocks, latestRun } from '../db/queries/record.js';
import { upsertSlaClock } from '../db/queries/sla.js';
import { breachOwnersKey, nextDueAtKey, processKey, slaBreachedKey } from '../workflows/search-attributes.js';
import { reprojectSlaClocksSignal, slaClocksQuery, type SlaClock } from '../workflows/sla.definitions.js';
import {
  CONSISTENCY_BATCH,
  CONSISTENCY_MAX_CASES,
  CONSISTENCY_MAX_FINDINGS,
  CONSISTENCY_RUNS_KEPT,
  type ConsistencyCause,
  type ConsistencyCheckInput,
  type ConsistencyCheckResult,
} from '../workflows/consistency.definitions.js';

/** Ids looked up in Temporal's visibility per list call (`WorkflowId IN (…)`). */
const VISIBILITY_IDS_PER_QUERY = 100;
/** Suspicious cases confirmed at once (each is a describe and a query of the workflow). */
const CONCURRENCY = 8;
const DEADLINE_MS = 10_000;

/** What Temporal says about a case: its latest run's status and the SLA search attributes. */
interface TemporalCase {
  runId: string;
  status: string;
  closeTime?: Date;
  breached: boolean;
  breachOwners: string[];
  nextDueAt: Date | null;
}

const fromInfo = (info: Pick<WorkflowExecutionInfo, 'runId' | 'status' | 'closeTime' | 'typedSearchAttributes'>): TemporalCase => ({
  runId: info.runId,
  status: info.status.name,
  closeTime: info.closeTime,
  breached: info.typedSearchAttributes.get(slaBreachedKey) ?? false,
  breachOwners: [...(info.typedSearchAttributes.get(breachOwnersKey) ?? [])].sort(),
  nextDueAt: info.typedSearchAttributes.get(nextDueAtKey) ?? null,
});

const sameOwners = (a: string[], b: string[]) => a.length === b.length && a.every((o, i) => o === b[i]);
const sameInstant = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** Visibility and the projection agree on a case's SLA facts. */
const agrees = (t: Pick<TemporalCase, 'breached' | 'breachOwners' | 'nextDueAt'>, p: CaseProjection, open: boolean) =>
  sameOwners(t.breachOwners, p.breachOwners) && t.breached === p.breachOwners.length > 0 && (!open || sameInstant(t.nextDueAt, p.nextDueAt));

const projectionFacts = (p: CaseProjection) => ({ pending: p.pending, nextDueAt: iso(p.nextDueAt), breachOwners: p.breachOwners });
const temporalFacts = (t: TemporalCase) => ({ runId: t.runId, status: t.status, breached: t.breached, breachOwners: t.breachOwners, nextDueAt: iso(t.nextDueAt) });

/** Does the row say what the workflow's clock says (the facts supervision reads)? */
const rowMatches = (row: ClockRow, clock: SlaClock) =>
  row.outcome === clock.outcome && row.owner === clock.owner && row.kind === clock.kind &&
  sameInstant(row.dueAt, new Date(clock.dueAt)) &&
  sameInstant(row.breachedAt, clock.breachedAt ? new Date(clock.breachedAt) : null) &&
  sameInstant(row.completedAt, clock.completedAt ? new Date(clock.completedAt) : null);

const counted = (c: { outcome: string; kind: string }) => c.outcome === 'breached' && c.kind === 'regulated';

/**
 * The SLA consistency checker: compares, case by case, Temporal's view of every case (visibility:
 * execution status, DvcqgSlaBreached, DvcqgBreachOwners, DvcqgNextDueAt) with the `sla_clocks`
 * projection, confirms each disagreement against the workflow itself (describe: the search
 * attributes of its mutable state, not the eventually consistent index; the `slaClocks` query:
 * its own clocks), repairs it and records the finding with its cause.
 *
 * Bounded work per run: a keyset pass over the cases of `sla_clocks` from the previous run's
 * watermark (visibility is asked for 100 ids at a time), then pages of running cases from
 * visibility (for cases whose rows are all missing), at most `maxCases` in all.
 */
export function createConsistencyActivities(db: Database, temporal: Client | undefined, logger: Logger) {
  const client = (): Client => {
    if (!temporal) throw new Error('the consistency checker needs a Temporal client (ActivityDeps.temporal)');
    return temporal;
  };
  const withDeadline = <T>(fn: () => Promise<T>) => client().withDeadline(Date.now() + DEADLINE_MS, fn);

  /** The latest execution of each id, from visibility: the running one, else the last closed one. */
  async function visibilityOf(workflowIds: string[]): Promise<Map<string, TemporalCase>> {
    type Listed = Omit<WorkflowExecutionInfo, 'raw'>;
    const found = new Map<string, Listed>();
    const keep = (info: Listed) => {
      const seen = found.get(info.workflowId);
      const rank = (i: Listed) => (i.status.name === 'RUNNING' ? Infinity : i.status.name === 'CONTINUED_AS_NEW' ? -1 : i.closeTime?.getTime() ?? 0);
      if (!seen || rank(info) > rank(seen)) found.set(info.workflowId, info);
    };
    // Ids that cannot be quoted in a visibility query are described one by one.
    const quotable = workflowIds.filter((id) => !/['\\]/.test(id));
    const chunks = Array.from({ length: Math.ceil(quotable.length / VISIBILITY_IDS_PER_QUERY) }, (_, i) => quotable.slice(i * VISIBILITY_IDS_PER_QUERY, (i + 1) * VISIBILITY_IDS_PER_QUERY));
    await Promise.all(chunks.map(async (ids) => {
      for await (const info of client().workflow.list({ query: `WorkflowId IN (${ids.map((id) => `'${id}'`).join(', ')})` })) keep(info);
    }));
    for (const id of workflowIds.filter((w) => /['\\]/.test(w))) {
      try {
        keep(await client().workflow.getHandle(id).describe());
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return new Map([...found].map(([id, info]) => [id, fromInfo(info)]));
  }

  /** The workflow's own clocks (a closed run answers by replay), or why not. */
  async function workflowClocks(workflowId: string, runId: string): Promise<SlaClock[] | Error> {
    try {
      return await withDeadline(() => client().workflow.getHandle(workflowId, runId).query(slaClocksQuery));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Compares the workflow's clocks with the rows: which rows are wrong (and why), and what
   * visibility should say given both (clocks of earlier runs are only in the rows).
   */
  function classify(clocks: SlaClock[], rows: ClockRow[]) {
    const byKey = new Map(rows.map((r) => [r.clockKey, r]));
    const wrong: { clock: SlaClock; row?: ClockRow; cause: ConsistencyCause }[] = [];
    for (const clock of clocks) {
      const row = byKey.get(clock.key);
      if (!row) wrong.push({ clock, cause: 'missing-clock-row' });
      else if (row.revision > clock.revision) wrong.push({ clock, row, cause: 'revision-ahead' });
      else if (!rowMatches(row, clock)) {
        const cause = counted(clock) && !counted(row) ? 'missing-breach-write' : row.revision < clock.revision ? 'missing-projection-write' : 'projection-altered';
        wrong.push({ clock, row, cause });
      }
    }
    const kept = new Set(clocks.map((c) => c.key));
    const earlier = rows.filter((r) => !kept.has(r.clockKey));
    const untracked = earlier.filter((r) => r.outcome === 'pending' && r.completedAt === null);
    const earlierOwners = [...new Set(earlier.filter(counted).map((r) => r.owner))].sort();
    const breachOwners = [...new Set([...earlierOwners, ...clocks.filter(counted).map((c) => c.owner)])].sort();
    const due = clocks.filter((c) => c.outcome === 'pending' && c.completedAt === undefined).map((c) => c.dueAt).sort()[0];
    return { wrong, untracked, earlierOwners, expected: { breached: breachOwners.length > 0, breachOwners, nextDueAt: due ? new Date(due) : null } };
  }

  const finding = (workflowId: string, cause: ConsistencyCause, repair: ConsistencyFinding['repair'], detail: string, t: Record<string, unknown>, p: Record<string, unknown>): ConsistencyFinding =>
    ({ workflowId, cause, repair, detail, temporal: t, projection: p });

  /** A running case whose visibility and rows disagree: confirmed against the workflow, repaired by it. */
  async function confirmRunning(workflowId: string, listed: TemporalCase, projection: CaseProjection): Promise<ConsistencyFinding[]> {
    const handle = client().workflow.getHandle(workflowId);
    const described = await withDeadline(() => handle.describe());
    if (described.status.name !== 'RUNNING') return []; // closed meanwhile: the next run compares it as closed
    // A projection write in flight: visibility is ahead of the row for a moment, not wrong.
    if ((described.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'projectSlaClock')) return [];
    const live = fromInfo(described);
    const clocks = await workflowClocks(workflowId, described.runId);
    if (clocks instanceof Error) {
      return [finding(workflowId, 'unanswered-query', 'none', `the workflow did not answer slaClocks: ${clocks.message}`.slice(0, 500), temporalFacts(live), projectionFacts(projection))];
    }
    const rows = await clockRowsOf(db, workflowId);
    const { wrong, untracked, earlierOwners, expected } = classify(clocks, rows);
    const visibilityStale = !sameOwners(live.breachOwners, expected.breachOwners) || live.breached !== expected.breached || !sameInstant(live.nextDueAt, expected.nextDueAt);
    if (wrong.length === 0 && untracked.length === 0 && !visibilityStale) return []; // visibility's index lagged; the case itself agrees
    const out: ConsistencyFinding[] = [];
    const t = { ...temporalFacts(live), clocks: clocks.map((c) => ({ key: c.key, outcome: c.outcome, revision: c.revision, dueAt: c.dueAt })) };
    // A row ahead of the workflow's revision would swallow the workflow's next writes: it is replaced by the workflow's own.
    for (const w of wrong.filter((x) => x.cause === 'revision-ahead')) {
      const row = w.row!;
      await db.transaction(async (tx) => {
        await deleteClockRow(tx, workflowId, w.clock.key);
        await upsertSlaClock(tx, { workflowId, process: row.process, caseAgency: row.caseAgency, stage: row.stage, clock: w.clock });
      });
    }
    for (const row of untracked) await cancelClockRow(db, workflowId, row.clockKey, 'consistency check: the case no longer keeps this clock');
    // Everything else the workflow writes itself: its clocks again as newer revisions, and its search attributes.
    await handle.signal(reprojectSlaClocksSignal, { reason: `consistency check: ${[...new Set(wrong.map((w) => w.cause))].join(', ') || 'visibility-stale'}`, breachOwners: earlierOwners });
    const byCause = new Map<ConsistencyCause, string[]>();
    for (const w of wrong) byCause.set(w.cause, [...(byCause.get(w.cause) ?? []), w.clock.key]);
    for (const [cause, keys] of byCause) {
      out.push(finding(workflowId, cause, 'signalled', `clocks ${keys.join(', ')}: rewritten by the workflow as newer revisions`, t, projectionFacts(projection)));
    }
    if (untracked.length > 0) {
      out.push(finding(workflowId, 'untracked-pending', 'cancelled', `pending rows ${untracked.map((r) => r.clockKey).join(', ')} are no clock of the case: cancelled`, t, projectionFacts(projection)));
    }
    if (visibilityStale && wrong.length === 0) {
      const lost = expected.breachOwners.filter((o) => !live.breachOwners.includes(o) && earlierOwners.includes(o));
      const detail = lost.length > 0
        ? `breaches of ${lost.join(', ')} recorded by an earlier run were lost from visibility at continue-as-new: search attributes upserted again`
        : 'search attributes differ from the clocks: upserted again';
      out.push(finding(workflowId, 'visibility-stale', 'signalled', detail, { ...t, expected: { ...expected, nextDueAt: iso(expected.nextDueAt) } }, projectionFacts(projection)));
    }
    return out;
  }

  /** A closed case: no pending clock may remain; breaches must agree (repaired from the run's final clocks). */
  async function checkClosed(workflowId: string, closed: TemporalCase, projection: CaseProjection): Promise<ConsistencyFinding[]> {
    const out: ConsistencyFinding[] = [];
    if (!sameOwners(closed.breachOwners, projection.breachOwners) || closed.breached !== projection.breachOwners.length > 0) {
      const clocks = await workflowClocks(workflowId, closed.runId);
      if (clocks instanceof Error) {
        out.push(finding(workflowId, 'unanswered-query', 'none', `closed case; its run did not answer slaClocks: ${clocks.message}`.slice(0, 500), temporalFacts(closed), projectionFacts(projection)));
      } else {
        const rows = await clockRowsOf(db, workflowId);
        const { wrong, expected } = classify(clocks, rows);
        // The run will never write again: its final clocks are written here, each as a newer revision.
        for (const w of wrong) {
          const row = w.row ?? rows[0];
          if (!row) continue;
          const revision = Math.max(w.row?.revision ?? 0, w.clock.revision) + 1;
          await upsertSlaClock(db, { workflowId, process: row.process, caseAgency: row.caseAgency, stage: w.row?.stage ?? w.clock.stage, clock: { ...w.clock, revision } });
          out.push(finding(workflowId, w.cause, 'reprojected', `closed case, clock ${w.clock.key}: rewritten from the run's final clocks`, temporalFacts(closed), projectionFacts(projection)));
        }
        if (!sameOwners(closed.breachOwners, expected.breachOwners)) {
          out.push(finding(workflowId, 'visibility-stale', 'none', `closed case: visibility says ${closed.breachOwners.join(', ') || 'no breach'}, its clocks ${expected.breachOwners.join(', ') || 'none'}; a closed run's search attributes cannot change`, temporalFacts(closed), projectionFacts(projection)));
        }
      }
    }
    if (projection.pending > 0) {
      const reason = `case ${closed.status.toLowerCase()}`;
      const cancelled = await cancelPendingClocks(db, workflowId, reason, closed.closeTime ?? new Date());
      out.push(finding(workflowId, 'pending-after-close', 'cancelled', `${cancelled} clock(s) still pending after the case closed (${closed.status}): cancelled with "${reason}"`, temporalFacts(closed), projectionFacts(projection)));
    }
    return out;
  }

  /** The latest execution as Temporal itself has it (not the index), if it still has the id. */
  async function latestExecution(workflowId: string): Promise<TemporalCase | undefined> {
    try {
      return fromInfo(await withDeadline(() => client().workflow.getHandle(workflowId).describe()));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** One case of `sla_clocks` against Temporal. */
  async function checkCase(projection: CaseProjection, temporalCase: TemporalCase | undefined): Promise<ConsistencyFinding[]> {
    const { workflowId } = projection;
    // Pending clocks are cancelled only once Temporal itself (not its lagging index) says no execution
    // of the id runs: a new case not indexed yet, a continued run, a re-run id are compared next time.
    if (projection.pending > 0 && temporalCase?.status !== 'RUNNING') {
      const latest = await latestExecution(workflowId);
      if (latest && (latest.status === 'RUNNING' || latest.status === 'CONTINUED_AS_NEW')) return [];
      temporalCase = latest ?? temporalCase;
    }
    if (temporalCase?.status === 'CONTINUED_AS_NEW') return [];
    if (!temporalCase) {
      // Purged after retention (the permanent record knows how it closed) or never run here.
      if (projection.pending === 0) return [];
      const run = await latestRun(db, workflowId);
      if (run && run.status !== 'CONTINUED_AS_NEW') {
        return checkClosed(workflowId, { runId: run.runId, status: run.status, closeTime: run.closedAt, breached: projection.breachOwners.length > 0, breachOwners: projection.breachOwners, nextDueAt: null }, projection);
      }
      return [finding(workflowId, 'unknown-case', 'none', 'pending clocks of a case neither Temporal nor the permanent record knows', {}, projectionFacts(projection))];
    }
    if (temporalCase.status === 'RUNNING') {
      return agrees(temporalCase, projection, true) ? [] : confirmRunning(workflowId, temporalCase, projection);
    }
    return checkClosed(workflowId, temporalCase, projection);
  }

  async function inParallel<T>(items: T[], fn: (item: T) => Promise<ConsistencyFinding[]>): Promise<ConsistencyFinding[]> {
    const out: ConsistencyFinding[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) out.push(...(await fn(item)));
    }));
    return out;
  }

  const heartbeat = (details: unknown) => {
    try {
      Context.current().heartbeat(details);
    } catch {
      // Called outside an activity (tests, benchmarks).
    }
  };

  async function check(input: ConsistencyCheckInput): Promise<ConsistencyCheckResult> {
    const scope = input.scope ?? '';
    const maxCases = input.maxCases ?? CONSISTENCY_MAX_CASES;
    const batch = Math.min(input.batchSize ?? CONSISTENCY_BATCH, maxCases);
    const startedAt = new Date();
    const previous = await latestConsistencyRun(db, scope);
    const fromWorkflowId = previous?.nextWorkflowId ?? '';
    const findings: ConsistencyFinding[] = [];
    const checkedIds = new Set<string>();
    let after = fromWorkflowId;
    let cycleCompleted = false;
    let checked = 0;

    // Pass 1: the cases of sla_clocks, from the watermark on.
    while (checked < maxCases) {
      const want = Math.min(batch, maxCases - checked);
      const cases = await caseProjectionsAfter(db, { after, prefix: scope, limit: want });
      const visible = await visibilityOf(cases.map((c) => c.workflowId));
      findings.push(...(await inParallel(cases, (c) => checkCase(c, visible.get(c.workflowId)))));
      for (const c of cases) checkedIds.add(c.workflowId);
      checked += cases.length;
      after = cases.at(-1)?.workflowId ?? after;
      heartbeat({ checked, after });
      if (cases.length < want) {
        cycleCompleted = true;
        after = '';
        break;
      }
    }

    // Pass 2: running cases whose visibility shows clocks but whose rows are all missing; at least
    // one page per run, so that it moves on even when pass 1 used the whole budget.
    let pageToken = previous?.visibilityPageToken ? Buffer.from(previous.visibilityPageToken, 'base64') : undefined;
    let listed = 0;
    const prefix = scope ? ` AND WorkflowId STARTS_WITH '${scope.replace(/['\\]/g, '')}'` : '';
    const query = `ExecutionStatus = 'Running' AND ${processKey.name} IS NOT NULL AND (${slaBreachedKey.name} = true OR ${nextDueAtKey.name} IS NOT NULL)${prefix}`;
    do {
      const page = await client().workflowService.listWorkflowExecutions({
        namespace: client().options.namespace, query, pageSize: batch, nextPageToken: pageToken,
      });
      const ids = (page.executions ?? []).map((e) => e.execution?.workflowId).filter((id): id is string => !!id && !checkedIds.has(id));
      const withRows = new Set((await caseProjectionsOf(db, ids)).map((p) => p.workflowId));
      const empty: CaseProjection = { workflowId: '', pending: 0, nextDueAt: null, breachOwners: [] };
      findings.push(...(await inParallel(ids.filter((id) => !withRows.has(id)), async (id) => {
        const listed = (await visibilityOf([id])).get(id);
        return listed?.status === 'RUNNING' ? confirmRunning(id, listed, { ...empty, workflowId: id }) : [];
      })));
      // Cases pass 1 compared already are not counted twice; the pages listed bound the work.
      checked += ids.length;
      listed += page.executions?.length ?? 0;
      pageToken = page.nextPageToken && page.nextPageToken.length > 0 ? Buffer.from(page.nextPageToken) : undefined;
      heartbeat({ checked, visibilityPage: !!pageToken });
    } while (pageToken && checked + listed < maxCases);

    const byCause: Record<string, number> = {};
    for (const f of findings) byCause[f.cause] = (byCause[f.cause] ?? 0) + 1;
    const repaired = findings.filter((f) => f.repair !== 'none').length;
    const runId = await saveConsistencyRun(db, {
      scope, startedAt, finishedAt: new Date(), fromWorkflowId, nextWorkflowId: after,
      visibilityPageToken: pageToken ? pageToken.toString('base64') : null,
      cycleCompleted, casesChecked: checked, disagreements: findings.length, repaired, byCause,
    }, findings, CONSISTENCY_MAX_FINDINGS, CONSISTENCY_RUNS_KEPT);
    if (findings.length > 0) {
      logger.warn({ scope, runId, disagreements: findings.length, repaired, byCause, alert: 'sla-consistency-disagreements' }, 'SLA consistency check found disagreements');
    }
    return { runId, casesChecked: checked, disagreements: findings.length, repaired, byCause, cycleCompleted, nextWorkflowId: after };
  }

  return {
    /** The Schedule's run: compare Temporal with `sla_clocks`, repair, record the findings. */
    async checkSlaConsistency(input: ConsistencyCheckInput): Promise<ConsistencyCheckResult> {
      return check(input);
    },
  };
}
