import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import { agencies, connectedSystems, connectionOutages, feedbackItems, securityServerChanges, slaClocks, tthcDecisions } from '../../db/schema/index.js';
import { DEFAULT_EVALUATION_CONFIG, LEVEL_NAMES, levelOf, type EvaluationConfig } from '../../domain/evaluation/index.js';
import { ensureEvaluationSchedule } from '../../runtime/schedules.js';
import { EVALUATION_SCHEDULE_ID } from '../../workflows/evaluation.definitions.js';
import { processKey } from '../../workflows/search-attributes.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, uniqueId } from '../support/env.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are asserted field by field */
type Body = Record<string, any>;

const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };

// Agencies of this file only (the database is shared with the other suites), evaluated over 2012,
// a year no other suite writes data in.
const tag = uniqueId('e').slice(-8).toUpperCase();
const MINISTRY = `EVM-${tag}`;
const PROVINCE = `EVP-${tag}`;
const officer: Actor = { userId: uniqueId('evm'), role: 'agency', agency: MINISTRY };
const YEAR = 2012;
const HOURS_2012 = 366 * 24;

/** What the seeded data must give (counted by hand from the rows below). */
const EXPECTED = {
  tthcPublicationOnTime: { numerator: 4, denominator: 5 },
  tthcIssuedBeforeEffect: { numerator: 1, denominator: 2 },
  feedbackOnTime: { numerator: 9, denominator: 10 },
  feedbackAnswered: { numerator: 3, denominator: 4 },
  connectionUptime: { numerator: 0.99 * HOURS_2012 * 3600, denominator: HOURS_2012 * 3600 },
  securityServerNotice: { numerator: 1, denominator: 2 },
};

/** The score the default weights give the ministry: indicators with data only, weights scaled to 100. */
function expectedScore(config: EvaluationConfig): number {
  const parts = Object.entries(EXPECTED).map(([key, c]) => ({ weight: config.weights[key as keyof typeof config.weights], rate: c.numerator / c.denominator }));
  const weight = parts.reduce((s, p) => s + p.weight, 0);
  return Math.round((parts.reduce((s, p) => s + 100 * p.rate * p.weight, 0) / weight) * 100) / 100;
}

describe('Art 30: agency evaluation over HTTP, the dev server and PostgreSQL', () => {
  let stack: E2eStack;

  const seed = async () => {
    const db = stack.database.db;
    await db.insert(agencies).values([
      { code: MINISTRY, name: `Test ministry ${tag}`, nameVi: `Bộ thử ${tag}`, kind: 'ministry' },
      { code: PROVINCE, name: `Test province ${tag}`, nameVi: `Tỉnh thử ${tag}`, kind: 'province' },
    ]);
    const clock = (owner: string, process: string, key: string, outcome: 'met' | 'breached', due: string, i: number) => ({
      workflowId: `${owner}-${process}-${i}`, clockKey: key, revision: 1, process, caseAgency: owner, owner, ownerKind: 'agency' as const,
      kind: 'regulated' as const, article: 'Art 30 test', rule: 'test', stage: 'test', unit: 'workingDays' as const, amount: 5,
      startedAt: new Date(Date.parse(due) - 7 * 86_400_000), dueAt: new Date(due), calendarVersion: 1, outcome,
      breachedAt: outcome === 'breached' ? new Date(due) : null, completedAt: outcome === 'met' ? new Date(Date.parse(due) - 3_600_000) : null,
    });
    await db.insert(slaClocks).values([
      // Publication clocks: 4 met, 1 breached in 2012; one breached in 2013 (another period).
      ...[0, 1, 2, 3].map((i) => clock(MINISTRY, 'tthc', 'publish', 'met', `2012-0${i + 2}-10T10:00:00Z`, i)),
      clock(MINISTRY, 'tthc', 'publish', 'breached', '2012-12-31T16:59:59Z', 4),
      clock(MINISTRY, 'tthc', 'publish', 'breached', '2012-12-31T17:00:00Z', 5),
      // Feedback clocks: 9 met, 1 breached.
      ...Array.from({ length: 9 }, (_, i) => clock(MINISTRY, 'feedback', `answer#${i}`, 'met', '2012-06-01T03:00:00Z', i)),
      clock(MINISTRY, 'feedback', 'answer#9', 'breached', '2012-06-02T03:00:00Z', 9),
      // The province: one feedback clock only (15 of the 100 points: not enough data to classify).
      clock(PROVINCE, 'feedback', 'answer#0', 'met', '2012-06-01T03:00:00Z', 0),
    ]);
    const decision = (i: number, lateIssue: boolean) => ({
      id: `${MINISTRY}-d${i}`, workflowId: `${MINISTRY}-d${i}`, revision: 1, number: `${i}/QĐ-${tag}`, title: 'test', agency: MINISTRY,
      authorityKind: 'minister' as const, signedOn: `2012-0${i + 3}-01`, legalEffectiveOn: `2012-0${i + 4}-01`, stage: 'published' as const, items: [], lateIssue,
    });
    await db.insert(tthcDecisions).values([decision(1, false), decision(2, true)]);
    const item = (i: number, status: string) => ({
      itemId: `${MINISTRY}-f${i}`, workflowId: `${MINISTRY}-f${i}`, receivingAgency: MINISTRY, agency: MINISTRY, involvedAgencies: [MINISTRY], status,
      category: 'other', channel: 'portal', senderName: 'Người gửi', senderAddress: 'Hà Nội', content: 'Nội dung', round: 1,
      receivedAt: new Date('2012-05-05T03:00:00Z'), roundStartedAt: new Date('2012-05-05T03:00:00Z'), revision: 1,
    });
    // 3 answered of 4 accepted; a refused item does not count.
    await db.insert(feedbackItems).values([item(1, 'published'), item(2, 'published'), item(3, 'published'), item(4, 'processing'), item(5, 'not-accepted')]);
    await db.insert(connectedSystems).values({
      systemId: `${MINISTRY}-portal`, workflowId: `${MINISTRY}-portal`, agency: MINISTRY, name: 'Cổng DVC thử', kind: 'ministry-portal',
      healthUrl: 'http://127.0.0.1:9/health', admins: [{ name: 'Quản trị' }], failureThreshold: 3, intervalSeconds: 60, timeoutMs: 1000,
      status: 'up', revision: 1,
    });
    // Down 1% of 2012 (87.84 hours), 10 of those hours before the year began (not counted) plus 10 more.
    const start = Date.parse('2012-03-01T00:00:00Z');
    await db.insert(connectionOutages).values([
      { outageId: `${MINISTRY}-o1`, systemId: `${MINISTRY}-portal`, agencyCode: MINISTRY, startedAt: new Date(start), endedAt: new Date(start + (0.01 * HOURS_2012 - 10) * 3_600_000), detectedAt: new Date(start), failures: 3 },
      { outageId: `${MINISTRY}-o0`, systemId: `${MINISTRY}-portal`, agencyCode: MINISTRY, startedAt: new Date('2011-12-31T07:00:00Z'), endedAt: new Date('2012-01-01T03:00:00Z'), detectedAt: new Date('2011-12-31T07:00:00Z'), failures: 3 },
    ]);
  };

  /** Art 50.2: one change with the notice, one emergency; a withdrawn one is left out. */
  const seedSecurityServers = async () => {
    const change = (i: number, registered: string, status: string, emergency: boolean) => ({
      changeId: `${MINISTRY}-c${i}`, workflowId: `${MINISTRY}-c${i}`, agency: MINISTRY, serverId: 'ss1', address: 'https://ss1.example.vn',
      certificateFingerprint: `fp${i}`, contact: { name: 'Quản trị' }, registeredAt: new Date(registered),
      effectiveAt: new Date(Date.parse(registered) + 10 * 86_400_000), emergency, status, revision: 1,
    });
    await stack.database.db.insert(securityServerChanges).values([
      change(1, '2012-04-02T03:00:00Z', 'superseded', false), change(2, '2012-05-02T03:00:00Z', 'current', true), change(3, '2012-06-04T03:00:00Z', 'withdrawn', false),
    ]);
  };

  beforeAll(async () => {
    stack = await startE2e();
    await seed();
    await seedSecurityServers();
  }, 180_000);
  afterAll(async () => {
    await stack?.app.temporal.schedule.getHandle(EVALUATION_SCHEDULE_ID).delete().catch(() => undefined);
    await stack?.stop();
  });

  /** Starts a run and reads it once completed (a 202 is followed up at the run's location). */
  async function run(body: Body, key = uniqueId('idem')): Promise<{ first: { status: number; body: Body; headers: Headers }; run: Body }> {
    const first = await stack.call<Body>('POST', '/v1/evaluation/runs', vpcp, body, { 'idempotency-key': key });
    expect([200, 202]).toContain(first.status);
    const location = first.headers.get('location')!;
    const done = await eventually(() => stack.call<Body>('GET', location, vpcp), (r) => r.status === 200 && r.body.run.status === 'completed', 60_000);
    return { first, run: done.body };
  }

  it('Art 30.4: VPCP sets weights and thresholds as a new cited version; an unusable one is refused with where; an agency may not', async () => {
    const current = await stack.call<Body>('GET', '/v1/evaluation/config');
    expect(current.status).toBe(200);
    expect(current.body.catalogue.levels.map((l: Body) => l.nameVi)).toEqual(['Xuất sắc', 'Tốt', 'Khá', 'Trung bình', 'Yếu']);
    const version: number = current.body.current.version;

    const bad = { ...DEFAULT_EVALUATION_CONFIG, weights: { ...DEFAULT_EVALUATION_CONFIG.weights, feedbackOnTime: 40 }, thresholds: { ...DEFAULT_EVALUATION_CONFIG.thresholds, fair: 85 } };
    const refused = await stack.call<Body>('POST', '/v1/evaluation/config', vpcp, { basedOnVersion: version, reason: 'test', config: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: Body) => e.path)).toEqual(['body.config.weights', 'body.config.thresholds.fair']);

    const forbidden = await stack.call<Body>('POST', '/v1/evaluation/config', officer, { basedOnVersion: version, reason: 'test', config: DEFAULT_EVALUATION_CONFIG });
    expect(forbidden.status).toBe(403);

    const stricter = { ...DEFAULT_EVALUATION_CONFIG, thresholds: { ...DEFAULT_EVALUATION_CONFIG.thresholds, good: 85 }, source: 'Hướng dẫn thử của VPCP (Art 30.4), test' };
    const added = await stack.call<Body>('POST', '/v1/evaluation/config', vpcp, { basedOnVersion: version, reason: 'stricter Tốt band', config: stricter });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ version: version + 1, reason: 'stricter Tốt band', createdBy: vpcp.userId, config: stricter });
    // An edit of the version it replaced is refused: versions are never changed, only added.
    const stale = await stack.call<Body>('POST', '/v1/evaluation/config', vpcp, { basedOnVersion: version, reason: 'late edit', config: DEFAULT_EVALUATION_CONFIG });
    expect(stale.status).toBe(409);
    const old = await stack.call<Body>('GET', `/v1/evaluation/config/versions/${version}`);
    expect(old.body.config).toEqual(current.body.current.config);
  });

  it("Art 30.1–30.2: a run scores every agency from the Portal's own data into the five levels, each result explaining itself, with the config version used", async () => {
    const versions = await stack.call<Body>('GET', '/v1/evaluation/config/versions');
    const [latest, previous] = versions.body.items as Body[];
    const key = uniqueId('idem');
    // The version before VPCP's stricter one, named explicitly; then the current one by default.
    const { first, run: older } = await run({ from: `${YEAR}-01-01`, to: `${YEAR}-12-31`, configVersion: previous!.version }, key);
    expect(older.run).toMatchObject({ period: { from: `${YEAR}-01-01`, to: `${YEAR}-12-31` }, configVersion: previous!.version, trigger: 'vpcp', requestedBy: vpcp.userId, publish: false, publishedAt: null });
    expect(older.config.version).toBe(previous!.version);
    // Every agency of the register is evaluated.
    const registered = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from agencies`;
    expect(older.results).toHaveLength(registered[0]!.n);

    const ministry = older.results.find((r: Body) => r.agency === MINISTRY);
    const score = expectedScore(previous!.config);
    expect(ministry).toMatchObject({ group: 'ministry', score, level: levelOf(score, previous!.config.thresholds).level, nameVi: `Bộ thử ${tag}` });
    expect(ministry.levelVi).toBe(LEVEL_NAMES[ministry.level as keyof typeof LEVEL_NAMES].vi);
    expect(ministry.threshold.minScore).toBe(previous!.config.thresholds[ministry.level]);
    for (const [indicator, c] of Object.entries(EXPECTED)) {
      const found = ministry.indicators.find((i: Body) => i.key === indicator);
      expect(found.numerator, indicator).toBeCloseTo(c.numerator, 0);
      expect(found.denominator, indicator).toBeCloseTo(c.denominator, 0);
      expect(found.value, indicator).toBeCloseTo(c.numerator / c.denominator, 4);
      expect(found.weight).toBe(previous!.config.weights[indicator]);
      expect(found.source).toMatch(/Art 30\.1/);
    }
    expect(ministry.indicators.find((i: Body) => i.key === 'dvcttLive')).toMatchObject({ value: null, effectiveWeight: 0 });
    expect(ministry.explanation).toContain(`${score} điểm`);
    const province = older.results.find((r: Body) => r.agency === PROVINCE);
    expect(province).toMatchObject({ group: 'province', score: null, level: null, rank: null });
    expect(province.explanation).toMatch(/^Chưa xếp loại/);

    // The same Idempotency-Key again: the same run, not a second one.
    const again = await stack.call<Body>('POST', '/v1/evaluation/runs', vpcp, { from: `${YEAR}-01-01`, to: `${YEAR}-12-31`, configVersion: previous!.version }, { 'idempotency-key': key });
    expect(again.body.run?.id ?? again.body.runId).toBe(older.run.id);
    expect(first.body.run?.id ?? first.body.runId).toBe(older.run.id);
    expect((await stack.call<Body>('GET', '/v1/evaluation/runs?pageSize=100', auditor)).body.items.filter((r: Body) => r.id === older.run.id)).toHaveLength(1);

    // The current (stricter) version: the same data, another band, and the older run keeps its own.
    const { run: newer } = await run({ from: `${YEAR}-01-01`, to: `${YEAR}-12-31` });
    expect(newer.run.configVersion).toBe(latest!.version);
    const strict = newer.results.find((r: Body) => r.agency === MINISTRY);
    expect(strict.score).toBe(score);
    expect(strict.level).toBe(levelOf(score, latest!.config.thresholds).level);
    expect(strict.threshold.minScore).toBe(latest!.config.thresholds[strict.level]);
    const reread = await stack.call<Body>('GET', `/v1/evaluation/runs/${older.run.id}`, auditor);
    expect(reread.body.results.find((r: Body) => r.agency === MINISTRY).level).toBe(ministry.level);

    // An agency officer reads its own result only.
    const own = await stack.call<Body>('GET', `/v1/evaluation/runs/${older.run.id}`, officer);
    expect(own.body.results.map((r: Body) => r.agency)).toEqual([MINISTRY]);
    // Unpublished runs are not public.
    expect((await stack.call<Body>('GET', `/v1/evaluation/results?year=${YEAR}`)).status).toBe(404);
  });

  it('Art 30.3: published results are public without a token and shown on the supervisor dashboard, in Vietnamese and English', async () => {
    const { run: published } = await run({ from: `${YEAR}-01-01`, to: `${YEAR}-12-31`, publish: true });
    expect(published.run.publishedAt).not.toBeNull();
    const open = await stack.call<Body>('GET', `/v1/evaluation/results?year=${YEAR}`);
    expect(open.status).toBe(200);
    expect(open.body.run.id).toBe(published.run.id);
    const ministry = open.body.results.find((r: Body) => r.agency === MINISTRY);
    expect(ministry.indicators.length).toBeGreaterThan(0);

    // The dashboard's section: the latest published run, each agency's rank, score and level in both languages.
    const html = await (await fetch(`${stack.baseUrl}/v1/supervision/dashboard`, { headers: { authorization: await bearer(stack.config, vpcp) } })).text();
    expect(html).toContain(`<div id="evaluation" data-run-id="${published.run.id}">`);
    const row = html.match(new RegExp(`<tr data-agency="${MINISTRY}"[^\\n]*</tr>`))![0];
    expect(row).toContain(`data-level="${ministry.level}" data-score="${ministry.score}"`);
    expect(row).toContain(LEVEL_NAMES[ministry.level as keyof typeof LEVEL_NAMES].vi);
    expect(row).toContain(LEVEL_NAMES[ministry.level as keyof typeof LEVEL_NAMES].en);
    expect(html).toContain('Kết quả đánh giá giải quyết TTHC, cung cấp dịch vụ công (Điều 30)');
  });

  it('Art 30.3: the yearly Schedule runs on 15 January (UTC+7) and publishes the previous calendar year', async () => {
    const client = stack.app.temporal;
    await ensureEvaluationSchedule(client, stack.config.TASK_QUEUE);
    const handle = client.schedule.getHandle(EVALUATION_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Ho_Chi_Minh');
    const next = described.info.nextActionTimes[0]!;
    expect(new Date(next.getTime() + 7 * 3_600_000).toISOString().slice(5, 16)).toBe('01-15T02:00');
    const before = (await stack.call<Body>('GET', '/v1/evaluation/runs?pageSize=100', vpcp)).body.total as number;
    await handle.trigger();
    const lastYear = new Date(Date.now() + 7 * 3_600_000).getUTCFullYear() - 1;
    const published = await eventually(() => stack.call<Body>('GET', `/v1/evaluation/results?year=${lastYear}`), (r) => r.status === 200 && r.body.run.trigger === 'schedule', 60_000);
    expect(published.body.run).toMatchObject({ period: { from: `${lastYear}-01-01`, to: `${lastYear}-12-31` }, publish: true, status: 'completed' });
    expect((await stack.call<Body>('GET', '/v1/evaluation/runs?pageSize=100', vpcp)).body.total).toBe(before + 1);
    const scheduled = await stack.call<Body>('GET', `/v1/evaluation/runs/${encodeURIComponent(published.body.run.id)}`, auditor);
    expect(scheduled.status).toBe(200);
    expect(scheduled.body.run.id).toMatch(new RegExp(`^${EVALUATION_SCHEDULE_ID}-run`));
    // Temporal's visibility names the process, as for every case.
    const execution = await client.workflow.getHandle(published.body.run.id).describe();
    expect(execution.typedSearchAttributes.get(processKey)).toBe('evaluation');
  });
});
