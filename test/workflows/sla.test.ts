import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { WorkingCalendar } from '../../domain/calendar/index.js';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import { slaClocks } from '../../db/schema/index.js';
import { slaClocksQuery, type ClockSpec } from '../../workflows/sla.definitions.js';
import { doneUpdate } from '../fixtures/sla-fixture.workflow.js';
import { eventually, timeSkippingHarness, uniqueId, type TimeSkippingHarness } from '../support/env.js';

const spec: ClockSpec = {
  key: 'review', article: 'Art 27.3', step: 'VPCP reviews the proposal', stepVi: 'VPCP xem xét đề nghị',
  owner: 'VPCP', ownerKind: 'vpcp', amount: 2, unit: 'workingDays', stage: 'review',
};

describe('SLA tracker (time-skipping)', () => {
  let harness: TimeSkippingHarness;
  beforeAll(async () => {
    harness = await timeSkippingHarness({ workflowsPath: new URL('../fixtures/sla-fixture.workflow.ts', import.meta.url) });
  });
  afterAll(async () => {
    await harness?.teardown();
  });

  it('a clock not done by its due instant is breached at dueAt, then records the late completion', async () => {
    const workflowId = uniqueId('sla');
    const clocks = await harness.run(async (taskQueue) => {
      const handle = await harness.env.client.workflow.start('slaFixtureWorkflow', { taskQueue, workflowId, args: [{ agency: 'BTP', spec }] });
      const [started] = await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
      expect(started?.outcome).toBe('pending');
      // The due instant is the shared calendar's answer on the current version, recorded with it.
      const calendar = new WorkingCalendar((await loadCalendarVersion(harness.database.db))!);
      const expected = calendar.computeDeadline({ from: started!.startedAt, amount: 2, unit: 'workingDays' });
      expect(started?.dueAt).toBe(expected.dueAt);
      expect(started?.calendarVersion).toBe(calendar.version);
      expect(started?.rule).toMatch(/Civil Code/);
      expect(started?.explanation).toContain('2 working day');
      // Time-skipping: 30 days of workflow time pass in a moment; the watcher breaches the clock.
      await harness.env.sleep('30 days');
      const [afterDue] = await handle.query(slaClocksQuery);
      expect(afterDue?.outcome).toBe('breached');
      expect(afterDue?.breachedAt).toBe(afterDue?.dueAt);
      const late = await handle.executeUpdate(doneUpdate, { args: ['vpcp-officer'] });
      expect(late?.outcome).toBe('breached');
      expect(late?.completedBy).toBe('vpcp-officer');
      expect(late?.lateByMinutes).toBeGreaterThan(0);
      // Not handle.result(): on the time-skipping client it may skip time while it waits.
      await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
      return handle.query(slaClocksQuery);
    });
    expect(clocks[0]?.completedAt).toBeDefined();
    const [row] = await harness.database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, 'review')));
    expect(row?.outcome).toBe('breached');
    expect(row?.breachedAt?.toISOString()).toBe(clocks[0]?.dueAt);
    expect(row?.completedBy).toBe('vpcp-officer');
    expect(row?.owner).toBe('VPCP');
  });

  it('SPEC §3: a breach recorded just before continue-as-new lands in sla_clocks, and the new run re-projects the carried clock', async () => {
    const workflowId = uniqueId('sla-can');
    const { firstRunId, clocks } = await harness.run(async (taskQueue) => {
      const handle = await harness.env.client.workflow.start('slaContinueFixtureWorkflow', { taskQueue, workflowId, args: [{ agency: 'BTP', spec }] });
      await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
      // Past the due instant: the watcher breaches the clock and the run continues as new at once.
      await harness.env.sleep('30 days');
      await eventually(() => handle.describe(), (d) => d.runId !== handle.firstExecutionRunId);
      const late = await harness.env.client.workflow.getHandle(workflowId).executeUpdate(doneUpdate, { args: ['vpcp-officer'] });
      expect(late).toMatchObject({ outcome: 'breached', completedBy: 'vpcp-officer' });
      await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
      return { firstRunId: handle.firstExecutionRunId, clocks: await harness.env.client.workflow.getHandle(workflowId).query(slaClocksQuery) };
    });
    // The first run waited for its breach write before continuing as new: every projection it scheduled completed.
    const events = (await harness.env.client.workflow.getHandle(workflowId, firstRunId).fetchHistory()).events ?? [];
    const projections = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'projectSlaClock').map((e) => String(e.eventId));
    const completed = events.map((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId).filter((id) => id != null).map(String);
    expect(projections).toHaveLength(2); // the start and the breach
    expect(projections.every((id) => completed.includes(id))).toBe(true);
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    // The row: breached at the due instant (start 1, breach 2, re-projected by the new run 3, late completion 4).
    const [row] = await harness.database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, 'review')));
    expect(row).toMatchObject({ outcome: 'breached', completedBy: 'vpcp-officer', revision: 4, kind: 'regulated' });
    expect(row?.breachedAt?.toISOString()).toBe(clocks[0]?.dueAt);
  });

  it('SPEC §3: a clock key started again continues its revisions, so the projection shows the new period', async () => {
    const workflowId = uniqueId('sla-restart');
    const row = async () => (await harness.database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, workflowId)))[0];
    await harness.run(async (taskQueue) => {
      const handle = await harness.env.client.workflow.start('slaRestartFixtureWorkflow', { taskQueue, workflowId, args: [{ agency: 'BTP', spec }] });
      await eventually(() => handle.query(slaClocksQuery), (c) => c.length > 0);
      expect(await handle.executeUpdate(doneUpdate, { args: ['vpcp-officer'] })).toMatchObject({ outcome: 'met', revision: 2 });
      const [again] = await eventually(() => handle.query(slaClocksQuery), (c) => c[0]?.outcome === 'pending');
      expect(again?.revision).toBe(3);
      expect(await eventually(row, (r) => r?.revision === 3)).toMatchObject({ outcome: 'pending', completedAt: null });
      await handle.executeUpdate(doneUpdate, { args: ['vpcp-officer'] });
      await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
    });
    expect(await row()).toMatchObject({ outcome: 'met', revision: 4 });
  });

  it('a clock done before its due instant is met', async () => {
    const workflowId = uniqueId('sla');
    await harness.run(async (taskQueue) => {
      const handle = await harness.env.client.workflow.start('slaFixtureWorkflow', { taskQueue, workflowId, args: [{ agency: 'BTP', spec }] });
      await harness.env.sleep('1 hour');
      const done = await handle.executeUpdate(doneUpdate, { args: ['vpcp-officer'] });
      expect(done?.outcome).toBe('met');
      await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
    });
    const [row] = await harness.database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, workflowId));
    expect(row?.outcome).toBe('met');
    expect(row?.breachedAt).toBeNull();
  });
});
