import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { actorOf, type Role } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { safeCode } from '../../schemas.js';

/** Only supervisors read payloads in clear: an agency reads its cases through the audit routes, scoped. */
const CODEC_ROLES = ['vpcp', 'auditor'] as const satisfies readonly Role[];
const MAX_PAYLOADS = 10_000;

/** proto3 JSON `bytes`: standard or URL-safe base64. */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const jsonPayload = z.object({
  metadata: z.record(z.string().max(256), base64).nullish(),
  data: base64.nullish(),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(MAX_PAYLOADS) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});
const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
});

const CORS_HEADERS = 'authorization, content-type, x-namespace';

/**
 * Temporal's codec-server protocol (`POST …/encode`, `POST …/decode`, body `{ payloads }` in
 * proto3 JSON, `X-Namespace` header), so the Temporal Web UI and CLI show encrypted payloads in
 * clear to VPCP and auditors. The keys never leave the API; each use is logged with who asked.
 * CORS admits the Web UI's origin (TEMPORAL_UI_URL) only, credentials included.
 */
export const codecRoutes: FastifyPluginAsyncZod = async (app) => {
  const uiOrigin = new URL(app.config.TEMPORAL_UI_URL).origin;
  const allowUi = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Origin');
    if (request.headers.origin === uiOrigin) reply.header('access-control-allow-origin', uiOrigin).header('access-control-allow-credentials', 'true');
  };
  // onSend, so refusals (401/403 from the auth hook) carry the CORS headers too and the UI can show them.
  app.addHook('onSend', async (request, reply) => allowUi(request, reply));

  const route = (operation: 'encode' | 'decode', summary: string, run: (codec: PayloadCodec, payloads: Payload[]) => Promise<Payload[]>) => {
    app.options(`/${operation}`, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', CORS_HEADERS)
        .header('access-control-max-age', '600')
        .code(204)
        .send());

    app.post(`/${operation}`, {
      config: { access: { roles: CODEC_ROLES } },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['codec'],
        summary,
        headers: z.object({ 'x-namespace': safeCode(255).optional() }),
        body: payloadsBody,
        response: { 200: payloadsBody, 400: problemSchema, 401: problemSchema, 403: problemSchema, 422: problemSchema },
      },
    }, async (request) => {
      const namespace = request.headers['x-namespace'];
      if (namespace !== undefined && namespace !== app.config.TEMPORAL_NAMESPACE) {
        throw problem('validation', `This codec server serves namespace ${app.config.TEMPORAL_NAMESPACE}, not ${namespace}`, [{ path: 'headers.x-namespace', message: `must be ${app.config.TEMPORAL_NAMESPACE}` }]);
      }
      let payloads = request.body.payloads.map(fromJson);
      try {
        // Codecs encode in array order and decode in reverse, as the SDK does.
        const codecs = operation === 'encode' ? app.payloadCodecs : [...app.payloadCodecs].reverse();
        for (const codec of codecs) payloads = await run(codec, payloads);
      } catch (err) {
        if (err instanceof ValueError) throw problem('unprocessable', err.message);
        throw err;
      }
      const actor = actorOf(request);
      request.log.info({ audit: `codec-${operation}`, user: actor.userId, role: actor.role, namespace, payloads: payloads.length }, `payloads ${operation}d by the codec server`);
      return { payloads: payloads.map(toJson) };
    });
  };

  route('encode', 'Encrypt payloads (Temporal codec-server protocol; VPCP and auditors)', (codec, payloads) => codec.encode(payloads));
  route('decode', 'Decrypt payloads for the Temporal Web UI or CLI (codec-server protocol; VPCP and auditors)', (codec, payloads) => codec.decode(payloads));
};
