import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { feeTypeCodes, findFeeType, listFeeTypes, putFeeType } from '../../../db/queries/fee-types.js';
import { REFERENCE_REUSE_MS, ReusedReference } from '../../reference-data.js';
import { feeTypeCategory } from '../../../db/schema/index.js';
import { actorOf, ROLES } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { safeCode, safeText } from '../../schemas.js';

const feeTypeSchema = z
  .object({ code: z.string(), name: z.string(), nameVi: z.string(), category: z.enum(feeTypeCategory.enumValues), updatedBy: z.string().nullable(), updatedAt: z.string() })
  .meta({ id: 'FeeType' });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const params = z.object({ code: safeCode() });

type FeeTypeRow = NonNullable<Awaited<ReturnType<typeof findFeeType>>>;
const toBody = (f: FeeTypeRow) => ({ ...f, updatedAt: f.updatedAt.toISOString() });

/**
 * The catalogue of payment transaction type codes (Art 34.1): every payment names one of them
 * (an unknown code is refused with 400); reconciliation reports filter by it (Art 34.3c). Readable
 * by every role; VPCP maintains it.
 */
/** The catalogue's codes, as a payment request is checked against them: reused for a moment per API process. */
export const knownFeeTypes = new ReusedReference(REFERENCE_REUSE_MS, feeTypeCodes);

export const feeTypeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/', {
    config: { access: { roles: ROLES } },
    schema: { tags: ['reference'], summary: 'The fee-type catalogue (Art 34.1)', response: { 200: z.object({ items: z.array(feeTypeSchema) }), ...errors } },
  }, async () => ({ items: (await listFeeTypes(app.db)).map(toBody) }));

  app.get('/:code', {
    config: { access: { roles: ROLES } },
    schema: { tags: ['reference'], summary: 'One fee type by code', params, response: { 200: feeTypeSchema, ...errors } },
  }, async (request) => {
    const feeType = await findFeeType(app.db, request.params.code);
    if (!feeType) throw problem('not-found', `No fee type ${request.params.code}`);
    return toBody(feeType);
  });

  app.put('/:code', {
    config: { access: { roles: ['vpcp'] }, permission: 'payment.feeTypes' },
    schema: {
      tags: ['reference'], summary: 'VPCP adds a code to the catalogue or renames one (Art 34.1)', params,
      body: z.object({ name: safeText(256), nameVi: safeText(256), category: z.enum(feeTypeCategory.enumValues) }),
      response: { 200: feeTypeSchema, 201: feeTypeSchema, ...errors },
    },
  }, async (request, reply) => {
    const { created } = await putFeeType(app.db, { code: request.params.code, ...request.body }, actorOf(request).userId);
    knownFeeTypes.forget(app.db);
    const feeType = await findFeeType(app.db, request.params.code);
    return reply.status(created ? 201 : 200).send(toBody(feeType!));
  });
};
