import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyUnderPressure from '@fastify/under-pressure';
import createHttpError from 'http-errors';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppConfig } from '../config/index.js';
import { temporalTls } from '../config/temporal-tls.js';
import { payloadCodecsFor } from '../codec/encryption.js';
import { createDatabase, type Database } from '../db/client.js';
import { createCalendarCache, type CalendarCache } from '../db/queries/calendar.js';
import { privateLogOptions, redactUrl } from '../domain/privacy/logs.js';
import { authConfigOf, PermissionCache, registerAuth } from './auth.js';
import { registerIdempotency } from './idempotency.js';
import { registerMetrics } from './metrics.js';
import { completeOpenApi } from './openapi.js';
import { actionRoutes } from './routes/actions/index.js';
import { clientError, frameworkError, problem, registerErrorHandling } from './errors.js';
import { jsonDeeperThan, MAX_ID_LENGTH, MAX_JSON_DEPTH } from './schemas.js';
import { healthRoutes } from './routes/health/index.js';
import { agencyRoutes } from './routes/agencies/index.js';
import { paymentRoutes } from './routes/payments/index.js';
import { bankRoutes } from './routes/banks/index.js';
import { feeTypeRoutes } from './routes/fee-types/index.js';
import { reconciliationRoutes } from './routes/reconciliation/index.js';
import { refundRoutes } from './routes/refunds/index.js';
import { feedbackRoutes } from './routes/feedback/index.js';
import { tthcRoutes } from './routes/tthc/index.js';
import { auditRoutes } from './routes/audit/index.js';
import { dvcttRoutes } from './routes/dvctt/index.js';
import { calendarRoutes } from './routes/calendar/index.js';
import { ruleSetRoutes } from './routes/rule-sets/index.js';
import { supervisionRoutes } from './routes/supervision/index.js';
import { notificationRoutes } from './routes/notifications/index.js';
import { codecRoutes } from './routes/codec/index.js';
import { accountRoutes } from './routes/accounts/index.js';
import { evaluationRoutes } from './routes/evaluation/index.js';
import { operationsRoutes } from './routes/operations/index.js';
import { permissionRoutes } from './routes/permissions/index.js';

export interface AppDeps {
  db: Database;
  temporal: Client;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
    db: Database;
    temporal: Client;
    /** Working calendars by version (immutable, so cached for the app's life). */
    calendars: CalendarCache;
    /** The payload codecs (encryption) of the Temporal client, also for reading histories (audit) and the codec server. */
    payloadCodecs: PayloadCodec[];
  }
}

/** Fastify's logger: the system's redaction, and request URLs without credentials (`?token=`). */
export function apiLoggerOptions(config: AppConfig) {
  return {
    level: config.LOG_LEVEL,
    base: { service: 'dvcqg', component: 'api' },
    ...privateLogOptions,
    serializers: {
      ...privateLogOptions.serializers,
      req: (req: Pick<FastifyRequest, 'method' | 'url' | 'host' | 'ip' | 'socket'>) => ({
        method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort,
      }),
    },
  };
}

/**
 * Bounded work per caller: security headers on every answer (pages: audit, Swagger UI), a rate
 * limit per token subject — per address for anonymous requests — checked after authentication,
 * and load shedding for the /v1 routes (`sheddingOptions`). Liveness and readiness are never shed.
 */
async function registerLimits(app: FastifyInstance, config: AppConfig): Promise<void> {
  // Helmet's defaults, except upgrade-insecure-requests (TLS ends in front of the API; local runs are
  // plain HTTP). A route with its own CSP (the audit pages) keeps it: reply headers win over these.
  await app.register(fastifyHelmet, { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  await app.register(fastifyRateLimit, {
    keyGenerator: (request) => (request.actor ? `sub:${request.actor.userId}` : `ip:${request.ip}`),
    max: (_request, key) => (key.startsWith('sub:') ? config.RATE_LIMIT_PER_TOKEN : config.RATE_LIMIT_PER_ADDRESS),
    timeWindow: config.RATE_LIMIT_WINDOW * 1000,
    // Thrown, then rendered by the one error handler as a problem document (Retry-After is already set).
    errorResponseBuilder: (_request, context) =>
      createHttpError(429, `Too many requests; retry in ${context.after}`, { problemKind: 'rate-limited', expose: true }),
  });
}

/** Load shedding (503 `unavailable` with Retry-After) while the event loop lags or memory runs out. */
const sheddingOptions = (config: AppConfig) => ({
  maxEventLoopDelay: config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
  maxHeapUsedBytes: config.PRESSURE_MAX_HEAP_BYTES,
  maxRssBytes: config.PRESSURE_MAX_RSS_BYTES,
  pressureHandler: async () => {
    throw problem('unavailable', 'The API is overloaded; retry after the Retry-After delay');
  },
});

/**
 * Builds the API: external plugins (config, database, Temporal client, auth, OpenAPI) first,
 * then one route plugin per resource under /v1. Dependencies may be injected (tests); otherwise
 * they are created from the configuration and closed with the app.
 */
export async function buildApp(config: AppConfig, deps?: Partial<AppDeps>, logger: FastifyServerOptions['logger'] = true): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === true ? apiLoggerOptions(config) : logger,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].length <= 128 ? req.headers['x-request-id'] : randomUUID()),
    requestIdHeader: false,
    ajv: undefined,
    // Case ids of up to MAX_ID_LENGTH characters reach their route (whose schema says what is too
    // long); the slack lets a somewhat longer one get that same field-level 400.
    routerOptions: { maxParamLength: 2 * MAX_ID_LENGTH },
    frameworkErrors: frameworkError,
    // Requests Node's HTTP parser refuses (431 headers too large, 400, 408) answer a problem too.
    clientErrorHandler: clientError,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON bodies: Fastify's own parser (prototype-poisoning checks included), after a linear scan
  // that refuses deep nesting before any recursive code (parser, zod, Temporal's converter) sees it.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
      done(problem('validation', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, [{ path: 'body', message: `at most ${MAX_JSON_DEPTH} levels of nesting` }]), undefined);
      return;
    }
    return parseJson(request, text, done);
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Problem documents echo the request URL (`instance`): an audit view token in it is masked, as in the logs.
  app.addHook('preSerialization', async (_request, _reply, payload: unknown) =>
    payload && typeof payload === 'object' && 'instance' in payload && typeof payload.instance === 'string'
      ? { ...payload, instance: redactUrl(payload.instance) }
      : payload);

  const owned: Array<() => Promise<void>> = [];
  let db = deps?.db;
  if (!db) {
    const handle = createDatabase(config.DATABASE_URL);
    db = handle.db;
    owned.push(handle.close);
  }
  const payloadCodecs = payloadCodecsFor(config);
  let temporal = deps?.temporal;
  if (!temporal) {
    // Lazy: the API starts (and /readyz reports) even while Temporal is still coming up.
    const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS, tls: temporalTls(config) });
    temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: { payloadCodecs } });
    owned.push(() => connection.close());
  }
  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('temporal', temporal);
  app.decorate('calendars', createCalendarCache(db));
  app.decorate('payloadCodecs', payloadCodecs);
  app.addHook('onClose', async () => {
    for (const close of owned) await close();
  });

  registerErrorHandling(app);
  registerAuth(app, authConfigOf(config), new PermissionCache(db, {
    ttlMs: config.PERMISSION_CACHE_TTL_MS,
    // Project rule (README "Officers and permissions"): ungranted tokens act as their agency's service account only locally and in tests.
    ungranted: config.DVCQG_PROFILE === 'local' || config.NODE_ENV === 'test' ? 'service-account' : 'refuse',
  }));
  registerIdempotency(app);
  registerMetrics(app, db);
  await registerLimits(app, config);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'DVCQG process orchestrator API',
        description:
          'Starts and acts on the regulated processes of the National Public Service Portal (Cổng Dịch vụ công Quốc gia). ' +
          'Every error is an RFC 9457 problem document (`application/problem+json`).',
        version: '1.0.0',
      },
      servers: [{ url: config.PUBLIC_BASE_URL }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Every route's shared answers (problems, 202, 401/403…) documented in one place (api/openapi.ts).
    transformObject: (input) => completeOpenApi(jsonSchemaTransformObject(input)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes);
  await app.register(
    async (v1) => {
      await v1.register(fastifyUnderPressure, sheddingOptions(config));
      await v1.register(agencyRoutes, { prefix: '/agencies' });
      await v1.register(paymentRoutes, { prefix: '/payments' });
      await v1.register(bankRoutes, { prefix: '/banks' });
      await v1.register(feeTypeRoutes, { prefix: '/fee-types' });
      await v1.register(reconciliationRoutes, { prefix: '/reconciliation' });
      await v1.register(refundRoutes, { prefix: '/refunds' });
      await v1.register(feedbackRoutes, { prefix: '/feedback' });
      await v1.register(tthcRoutes, { prefix: '/tthc' });
      await v1.register(auditRoutes, { prefix: '/audit' });
      await v1.register(dvcttRoutes, { prefix: '/dvctt' });
      await v1.register(calendarRoutes, { prefix: '/calendar' });
      await v1.register(ruleSetRoutes, { prefix: '/rule-sets' });
      await v1.register(supervisionRoutes, { prefix: '/supervision' });
      await v1.register(actionRoutes, { prefix: '/actions' });
      await v1.register(notificationRoutes, { prefix: '/notifications' });
      await v1.register(codecRoutes, { prefix: '/codec' });
      await v1.register(accountRoutes, { prefix: '/accounts' });
      await v1.register(evaluationRoutes, { prefix: '/evaluation' });
      await v1.register(operationsRoutes, { prefix: '/operations' });
      await v1.register(permissionRoutes, { prefix: '/permissions' });
    },
    { prefix: '/v1' },
  );
  return app;
}
