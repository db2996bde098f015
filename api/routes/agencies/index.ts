import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agencyKind } from '../../../db/schema/index.js';
import { findAgency, listAgencies } from '../../../db/queries/agencies.js';
import { problem, problemSchema } from '../../errors.js';
import { ROLES } from '../../auth.js';
import { safeCode } from '../../schemas.js';

const agencySchema = z.object({ code: z.string(), name: z.string(), nameVi: z.string(), kind: z.enum(agencyKind.enumValues) }).meta({ id: 'Agency' });

/** Reference data: the agencies (bộ, ngành, địa phương) known to the Portal. Any authenticated role. */
export const agencyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/', {
    config: { access: { roles: ROLES } },
    schema: {
      tags: ['reference'],
      summary: 'List agencies',
      querystring: z.object({ kind: z.enum(agencyKind.enumValues).optional() }),
      response: { 200: z.object({ items: z.array(agencySchema) }), 400: problemSchema, 401: problemSchema },
    },
  }, async (request) => ({ items: await listAgencies(app.db, request.query) }));

  app.get('/:code', {
    config: { access: { roles: ROLES } },
    schema: {
      tags: ['reference'],
      summary: 'One agency by code',
      params: z.object({ code: safeCode(32) }),
      response: { 200: agencySchema, 401: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const agency = await findAgency(app.db, request.params.code);
    if (!agency) throw problem('not-found', `No agency with code ${request.params.code}`);
    return agency;
  });
};
