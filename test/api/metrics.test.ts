import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { startMetricsServer } from '../../api/metrics.js';
import type { DatabaseHandle } from '../../db/client.js';
import { insertClock } from '../support/sla-clocks.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

const HOUR = 3_600_000;

describe('GET /metrics: Prometheus text format on the internal metrics listener', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
  const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
  // This file's own process name and owner keep other files' clocks out of the gauges it reads.
  const process = uniqueId('metrics-proc');
  const owner = `M${uniqueId('').slice(1, 9).toUpperCase()}`;

  let text = '';
  const scrape = async (): Promise<Map<string, PrometheusFamily>> => {
    const res = await fetch(metrics.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await res.text();
    return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  };
  /**
   * One series of a labelled histogram. The parser folds a histogram family into one unlabelled
   * series (it reads only `le`), so it is given that series' lines alone, without their other labels.
   */
  const histogram = (name: string, labels: Record<string, string>) => {
    const selector = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const lines = text.split('\n').filter((line) => line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `) ||
      (line.startsWith(name) && selector.every((l) => line.includes(l))));
    const unlabelled = lines.map((line) => line.replace(/\{([^}]*)\}/, (_all, inner: string) => {
      const le = /le="[^"]*"/.exec(inner)?.[0];
      return le ? `{${le}}` : '';
    }));
    return parsePrometheusTextFormat(`${unlabelled.join('\n')}\n`)[0];
  };
  const sample = (family: PrometheusFamily | undefined, labels: Record<string, string>) =>
    family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    await app.ready();
    database = testDatabase();
    metrics = await startMetricsServer(app.metrics, '127.0.0.1:0');
    const db = database.db;
    const base = { process, caseAgency: 'BTP', owner, ownerKind: 'agency' as const, article: 'Art 42.3a' };
    await insertClock(db, { ...base, workflowId: `${process}-1`, outcome: 'pending', dueAt: new Date(Date.now() + HOUR).toISOString() });
    await insertClock(db, { ...base, workflowId: `${process}-2`, outcome: 'pending', dueAt: new Date(Date.now() + 2 * HOUR).toISOString() });
    await insertClock(db, { ...base, workflowId: `${process}-3`, outcome: 'breached', dueAt: '2026-03-04T16:59:59.999Z', breachedAt: '2026-03-04T16:59:59.999Z' });
    await insertClock(db, { ...base, workflowId: `${process}-4`, outcome: 'breached', dueAt: '2026-03-04T16:59:59.999Z', breachedAt: '2026-03-04T16:59:59.999Z', completedAt: '2026-03-05T03:00:00.000Z' });
    // A citizen's wait that ran out and a project-rule clock: shown as open clocks by kind, never counted as breaches.
    await insertClock(db, { ...base, workflowId: `${process}-5`, ownerKind: 'citizen', outcome: 'breached', dueAt: '2026-03-04T16:59:59.999Z', breachedAt: '2026-03-04T16:59:59.999Z' });
    await insertClock(db, { ...base, workflowId: `${process}-6`, article: 'project rule: abandonment', outcome: 'pending', dueAt: new Date(Date.now() + HOUR).toISOString() });
  });
  afterAll(async () => {
    await metrics?.close();
    await app?.close();
    await database?.close();
  });

  it('counts API requests by route pattern (not the raw URL), method and status, with a latency histogram', async () => {
    const authorization = await bearer(config, vpcp);
    for (let i = 0; i < 3; i++) {
      expect((await app.inject({ method: 'GET', url: `/v1/supervision/breaches?process=${process}&page=${i + 1}`, headers: { authorization } })).statusCode).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/supervision/breaches' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/audit/workflows/${uniqueId('no-such-case')}/timeline`, headers: { authorization } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/${uniqueId('nowhere')}` })).statusCode).toBe(404);

    const families = await scrape();
    const requests = families.get('dvcqg_http_requests_total');
    expect(requests?.type).toBe('COUNTER');
    expect(sample(requests, { route: '/v1/supervision/breaches', method: 'GET', status_code: '200' })?.value).toBe('3');
    expect(sample(requests, { route: '/v1/supervision/breaches', method: 'GET', status_code: '401' })?.value).toBe('1');
    expect(sample(requests, { route: '/v1/audit/workflows/:id/timeline', status_code: '404' })?.value).toBe('1');
    expect(sample(requests, { route: 'unmatched', status_code: '404' })?.value).toBe('1');
    // No raw URL (with its query or ids) ever becomes a label.
    expect(requests?.metrics.every((m) => !m.labels?.route?.includes('?') && !m.labels?.route?.includes('no-such-case'))).toBe(true);

    expect(families.get('dvcqg_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const latency = histogram('dvcqg_http_request_duration_seconds', { route: '/v1/supervision/breaches', method: 'GET', status_code: '200' });
    expect(latency?.type).toBe('HISTOGRAM');
    const ok = latency?.metrics[0];
    expect(ok?.count).toBe('3');
    expect(ok?.buckets?.['+Inf']).toBe('3');
    expect(Number(ok?.sum)).toBeGreaterThan(0);
    // Node's own process metrics come along.
    expect(families.get('dvcqg_api_process_resident_memory_bytes')?.type).toBe('GAUGE');
  });

  it('SLA gauges by owner and process, from sla_clocks at scrape time: open clocks by kind, open counted breaches only', async () => {
    const families = await scrape();
    const open = families.get('dvcqg_sla_open_clocks');
    expect(open?.type).toBe('GAUGE');
    expect(sample(open, { owner, process, kind: 'regulated' })?.value).toBe('2');
    expect(sample(open, { owner, process, kind: 'projectRule' })?.value).toBe('1');
    // The breach done late is no longer open; the citizen's wait is not counted.
    expect(sample(families.get('dvcqg_sla_open_breaches'), { owner, process })?.value).toBe('1');
    expect(sample(open, { owner, process, kind: 'citizenWait' })?.value).toBe('0');
  });

  it('the public API port does not serve /metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });
});
