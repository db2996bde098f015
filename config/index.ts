import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parsePayloadKeys } from '../codec/encryption.js';

export const DEFAULT_JWT_AUDIENCE = 'dvcqg-api';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** A duration in seconds: `3600`, `30m`, `12h`, `1d`. */
const duration = z
  .string()
  .regex(/^\d+\s*[smhd]?$/, 'seconds, or a number with s, m, h or d')
  .transform((v) => parseInt(v, 10) * (UNIT_SECONDS[v.trim().slice(-1)] ?? 1))
  .pipe(z.number().int().min(1));

// One typed configuration for the API, the worker and the scripts; every value has an embedded
// default so that `npm start` runs on a fresh machine, and production overrides them by env.
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default('postgres://dvcqg:dvcqg@127.0.0.1:5432/dvcqg'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  TASK_QUEUE: z.string().default('dvcqg'),
  // How long Temporal keeps a closed execution (npm start and the compose topology set it). Project
  // rule: 14 days — longer than the longest official break (Tết, 9 days in 2026), so a sweeper that
  // stopped over a holiday still finds every closed run to copy; the permanent record is PostgreSQL.
  // How long the API waits for a case to answer an action before answering 202 with where to read the outcome.
  UPDATE_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  // How long the API reuses an officer's permissions before asking PostgreSQL again; at most 30 s so that
  // a revoked permission is refused within a minute everywhere (README "Officers and permissions").
  PERMISSION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(30_000).default(30_000),
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  // Project rule (Art 33.4a): a debit the bank reports more than this many hours after it happened is
  // flagged on the payment (README "Payment"); applies to payments registered from then on.
  PAYMENT_DEBIT_REPORT_LIMIT_HOURS: z.coerce.number().int().min(1).max(720).default(24),
  // Fail-closed: only `local` (npm start, loopback only) and NODE_ENV=test may fall back to the public
  // development secret; every other run must bring AUTH_JWT_SECRET or AUTH_JWKS_URL.
  DVCQG_PROFILE: z.enum(['local', 'production']).default('production'),
  // HS256 secret for bearer tokens, and the key audit view tokens derive from (never the development default).
  AUTH_JWT_SECRET: z.string().min(32).optional(),
  // An identity provider's key set: its RS256/ES256 tokens are accepted (with or without a secret).
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_JWT_ISSUER: z.string().default('dvcqg'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default(DEFAULT_JWT_AUDIENCE),
  // Longest accepted bearer-token lifetime (exp − iat): seconds, or with a unit (30m, 12h, 1d).
  AUTH_MAX_TOKEN_LIFETIME: duration.default(12 * 3600),
  // Bounded work per request: reconciliation uploads (body bytes, lines, characters per CSV field).
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
  UPLOAD_MAX_ROWS: z.coerce.number().int().min(1).default(500_000),
  UPLOAD_MAX_FIELD_LENGTH: z.coerce.number().int().min(16).max(10_000).default(200),
  // Requests per window per token subject (per address when anonymous); generous: the Portal front
  // end is one subject for every citizen.
  RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_WINDOW: duration.default(60),
  // Load shedding (503 + Retry-After) when the event loop lags this much on average (0 = off), or
  // the heap / resident memory exceeds these bytes (0 = off).
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  PRESSURE_MAX_HEAP_BYTES: z.coerce.number().int().min(0).default(0),
  PRESSURE_MAX_RSS_BYTES: z.coerce.number().int().min(0).default(0),
  PUBLIC_BASE_URL: z.string().default('http://127.0.0.1:3000'),
  // Prometheus `GET /metrics` listeners (host:port; '' = off), never the public port: the API's own
  // (requests, SLA gauges) and the worker's Temporal SDK exporter. Loopback unless an operator opens them.
  METRICS_ADDRESS: z.string().default('127.0.0.1:9464'),
  TEMPORAL_METRICS_ADDRESS: z.string().default('127.0.0.1:9465'),
  // The worker's workflow code prebuilt (`bundleWorkflowCode`, e.g. by the chaos suite once per run):
  // a restarted worker then polls in seconds instead of bundling `workflows/` again (4 s idle, 15–22 s
  // on a loaded machine). Empty = bundle at start. It must be built from the code being deployed.
  WORKFLOW_BUNDLE_PATH: z.string().default(''),
  // Payload encryption keys, `<id>:<base64 of 32 bytes>,…`, the current (encrypting) one first; the
  // others still decrypt (rotation). Empty = payloads in plaintext (development, tests); production
  // refuses to start without keys; `npm start` keeps a local key in data/payload-keys.
  TEMPORAL_PAYLOAD_KEYS: z.string().default(''),
  // mTLS to Temporal's frontend (README "Trust boundary around Temporal"), PEM file paths read by
  // `temporalTls` (config/temporal-tls.ts): TLS is on once any of these is set; the CA verifies the
  // server (else the system's roots), the certificate pair is this process's credential. Production
  // refuses to start without the pair unless TEMPORAL_TLS_DISABLE_I_KNOW=1 (the link is secured
  // another way, e.g. a service-mesh sidecar that does the mTLS).
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_TLS_DISABLE_I_KNOW: z.enum(['0', '1']).default('0'),
});

/** AUTH_JWT_SECRET is always set once loaded (see `authSecret`). */
export type AppConfig = Omit<z.infer<typeof schema>, 'AUTH_JWT_SECRET'> & { AUTH_JWT_SECRET: string };

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${issues}`);
  }
  const merged = { ...parsed.data, ...overrides };
  const config: AppConfig = { ...merged, AUTH_JWT_SECRET: authSecret(merged) };
  let payloadKeys: number;
  try {
    payloadKeys = parsePayloadKeys(config.TEMPORAL_PAYLOAD_KEYS).length;
  } catch (err) {
    throw new Error(`Invalid configuration: TEMPORAL_PAYLOAD_KEYS: ${(err as Error).message}`);
  }
  if (config.NODE_ENV === 'production' && payloadKeys === 0) {
    throw new Error('TEMPORAL_PAYLOAD_KEYS must be set in production: payloads are encrypted (README "Payload encryption")');
  }
  if (!config.TEMPORAL_TLS_CERT !== !config.TEMPORAL_TLS_KEY) {
    throw new Error('Invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (a client certificate and its key)');
  }
  if (config.NODE_ENV === 'production' && !config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_DISABLE_I_KNOW !== '1') {
    throw new Error(
      'Refusing to start: production connects to Temporal with a client certificate (mTLS); set TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY ' +
        'and TEMPORAL_TLS_CA, or TEMPORAL_TLS_DISABLE_I_KNOW=1 where the link is secured otherwise (README "Trust boundary around Temporal")',
    );
  }
  return config;
}

/** The public development secret: accepted only by the local profile on loopback and by tests. */
export const DEVELOPMENT_JWT_SECRET = 'dvcqg-local-development-secret-change-me';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The HS256 secret the configuration runs with, or a refusal to start. A JWKS-only deployment gets
 * a random per-process secret that nobody holds: HS256 bearer tokens are then never accepted, and
 * audit view tokens open pages only on the API instance that minted them.
 */
function authSecret(config: Omit<AppConfig, 'AUTH_JWT_SECRET'> & { AUTH_JWT_SECRET?: string }): string {
  const development = config.DVCQG_PROFILE === 'local' || config.NODE_ENV === 'test';
  if (config.DVCQG_PROFILE === 'local' && config.NODE_ENV === 'production') {
    throw new Error('Invalid configuration: DVCQG_PROFILE=local is for npm start, not NODE_ENV=production');
  }
  const secret = config.AUTH_JWT_SECRET ?? (development ? DEVELOPMENT_JWT_SECRET : config.AUTH_JWKS_URL ? randomBytes(32).toString('base64url') : undefined);
  if (!secret) {
    throw new Error(
      'Refusing to start without authentication keys: set AUTH_JWT_SECRET (32+ random characters) or AUTH_JWKS_URL ' +
        '(identity provider); DVCQG_PROFILE=local (npm start) runs on loopback with the development secret',
    );
  }
  if (secret === DEVELOPMENT_JWT_SECRET) {
    if (!development) throw new Error('Refusing to start: AUTH_JWT_SECRET is the public development default; set a secret of your own');
    if (!LOOPBACK.has(config.HOST)) throw new Error(`Refusing to start: the development secret serves only a loopback HOST, not ${config.HOST}`);
  }
  return secret;
}
