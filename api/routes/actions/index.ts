import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { idempotencyKeys } from '../../../db/schema/index.js';
import { actorOf, isSupervisor } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { within } from '../../idempotency.js';
import { caseId } from '../../schemas.js';

const OUTCOME_WAIT_MS = 2_000;

/**
 * The outcome of an action that was answered `202 Accepted` (the case did not answer within the
 * API's bounded wait): the caller who sent it with an Idempotency-Key, or a supervisor, reads it
 * here; while it is still under way the answer is 202 again.
 */
export const actionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/:workflowId/:updateId', {
    config: { access: { roles: ['agency', 'bank', 'portal', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['actions'],
      summary: 'The outcome of an action answered 202 (by case and update id)',
      params: z.object({ workflowId: caseId, updateId: caseId }),
      response: {
        200: z.unknown().describe("The action's answer, as its route gives it"),
        202: z.object({ status: z.literal('pending'), workflowId: z.string(), updateId: z.string() }),
        400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema,
      },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { workflowId, updateId } = request.params;
    const [own] = await app.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.updateId, updateId), eq(idempotencyKeys.scope, `${actor.role}/${actor.agency ?? actor.bank ?? '-'}/${actor.userId}`)));
    // A bank's callbacks run under their callback id (`callback-<bank>-<callbackId>`): the bank reads its own.
    const ownCallback = actor.role === 'bank' && updateId.startsWith(`callback-${actor.bank}-`);
    if (!own && !ownCallback && !isSupervisor(actor)) throw problem('not-found', `No action ${updateId} of yours on case ${workflowId}`);
    if (own?.responseStatus != null) return reply.status(own.responseStatus as 200).type(own.responseType ?? 'application/json').send(own.responseBody);
    const outcome = await within(app.temporal.workflow.getHandle(workflowId).getUpdateHandle(updateId).result(), OUTCOME_WAIT_MS);
    if (!outcome) return reply.status(202).header('retry-after', '2').send({ status: 'pending' as const, workflowId, updateId });
    return outcome.value;
  });
};
