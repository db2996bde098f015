import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { diagnosticProbes } from '../../../db/schema/index.js';
import { diagnosticWorkflowId, type DiagnosticInput } from '../../../workflows/diagnostic.definitions.js';
import { actorOf } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';

const checkSchema = z.object({ ok: z.boolean(), latencyMs: z.number(), detail: z.string().optional() });
const readySchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.object({
    database: checkSchema,
    temporal: checkSchema,
    /** Only with ?deep=1: a diagnostic workflow ran on a worker and its activity wrote to PostgreSQL. */
    path: checkSchema.extend({ workflowId: z.string().optional(), writtenAt: z.string().optional() }).optional(),
  }),
});

async function timed(fn: () => Promise<string | void>): Promise<z.infer<typeof checkSchema>> {
  const started = performance.now();
  try {
    const detail = await fn();
    return { ok: true, latencyMs: Math.round(performance.now() - started), ...(detail ? { detail } : {}) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), detail: err instanceof Error ? err.message : String(err) };
  }
}

const withoutDetail = ({ detail: _detail, ...check }: z.infer<typeof checkSchema>) => check;

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [], response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: PostgreSQL and Temporal answer; ?deep=1 (VPCP bearer token) also runs a diagnostic workflow end to end',
      description: 'Without a token the checks say only ok or not; the deep check (VPCP) also gives their details.',
      security: [],
      querystring: z.object({ deep: z.enum(['0', '1', 'true', 'false']).optional() }),
      response: { 200: readySchema, 503: readySchema, 400: problemSchema, 401: problemSchema, 403: problemSchema },
    },
  }, async (request, reply) => {
    const deep = request.query.deep === '1' || request.query.deep === 'true';
    // The deep check starts a workflow and writes a row: operators only, not anyone who can reach the port.
    if (deep && actorOf(request).role !== 'vpcp') throw problem('wrong-role', 'Only VPCP may run the deep readiness check');
    const database = await timed(async () => {
      await app.db.execute(sql`select 1`);
    });
    const temporal = await timed(async () => {
      await app.temporal.connection.ensureConnected();
      const info = await app.temporal.workflowService.getSystemInfo({});
      return `server ${info.serverVersion}`;
    });
    let path: z.infer<typeof readySchema>['checks']['path'];
    if (deep && database.ok && temporal.ok) {
      const workflowId = diagnosticWorkflowId(randomUUID());
      const check = await timed(async () => {
        const input: DiagnosticInput = { requestedBy: request.id };
        await app.temporal.workflow.execute('diagnosticWorkflow', {
          taskQueue: app.config.TASK_QUEUE,
          workflowId,
          args: [input],
          workflowExecutionTimeout: '20 seconds',
        });
        // Read back what the worker's activity wrote: the full path is proven only by the row.
        const [row] = await app.db
          .select({ writtenAt: diagnosticProbes.writtenAt })
          .from(diagnosticProbes)
          .where(eq(diagnosticProbes.workflowId, workflowId));
        if (!row) throw new Error('the diagnostic workflow finished but its row is missing');
        return row.writtenAt.toISOString();
      });
      path = { ...check, workflowId, ...(check.ok && check.detail ? { writtenAt: check.detail, detail: undefined } : {}) };
    }
    const ok = database.ok && temporal.ok && (path?.ok ?? true);
    if (!ok) request.log.warn({ database, temporal, path }, 'not ready');
    // Plain readiness is public: no server version, no error text.
    const checks = deep ? { database, temporal, ...(path ? { path } : {}) } : { database: withoutDetail(database), temporal: withoutDetail(temporal) };
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks });
  });
};
