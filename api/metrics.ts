import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.js';
import { clockGauges } from '../db/queries/sla.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's Prometheus registry (served by `startMetricsServer`, never on the public port). */
    metrics: Registry;
  }
}

/** Owner × process × kind groups exported at most (cardinality bound). */
const MAX_GROUPS = 5_000;
/** The three SLA gauges share one query per scrape. */
const SNAPSHOT_TTL_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 5_000;

/**
 * Prometheus metrics of the API (library: prom-client): requests by route pattern, method and
 * status with a latency histogram, Node's process metrics, and the SLA gauges computed from
 * `sla_clocks` at scrape time: open clocks by owner, process and kind, and open breaches (only
 * `regulated` clocks count as breaches). Breach history is the supervision API's and the dashboard's.
 */
export function registerMetrics(app: FastifyInstance, db: Database): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dvcqg_api_' });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'dvcqg_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'dvcqg_http_request_duration_seconds',
    help: 'HTTP request latency, by route pattern, method and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern (`/v1/feedback/:id`), never the raw URL: unmatched URLs share one label.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  let snapshot: { at: number; rows: Promise<Awaited<ReturnType<typeof clockGauges>>> } | undefined;
  const rows = () => {
    if (!snapshot || Date.now() - snapshot.at > SNAPSHOT_TTL_MS) {
      const pending = db.transaction(async (tx) => {
        await tx.execute(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
        return clockGauges(tx, MAX_GROUPS);
      });
      snapshot = { at: Date.now(), rows: pending };
      pending.catch(() => (snapshot = undefined));
    }
    return snapshot.rows;
  };
  const gauge = (name: string, help: string, value: (r: Awaited<ReturnType<typeof clockGauges>>[number]) => number, counted: boolean) =>
    new Gauge({
      name,
      help,
      labelNames: counted ? ['owner', 'process'] : ['owner', 'process', 'kind'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await rows()) {
          if (counted && r.kind !== 'regulated') continue;
          this.set(counted ? { owner: r.owner, process: r.process } : { owner: r.owner, process: r.process, kind: r.kind }, value(r));
        }
      },
    });
  gauge('dvcqg_sla_open_clocks', 'SLA clocks pending (not done, not cancelled), by owner, process and kind', (r) => r.open, false);
  gauge('dvcqg_sla_open_breaches', 'Counted (regulated) breaches whose step is still not done, by owner and process', (r) => r.breached, true);
  app.decorate('metrics', registry);
}

/**
 * `GET /metrics` on its own listener (METRICS_ADDRESS, loopback by default): operators' scrapes
 * never reach the public API port, and the public API never serves metrics.
 */
export async function startMetricsServer(registry: Registry, address: string): Promise<{ url: string; close(): Promise<void> }> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof bound === 'object' && bound ? bound.port : port}/metrics`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
