import { z } from 'zod';

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
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  // HS256 secret for bearer tokens. The default is for local use only; production must set it.
  AUTH_JWT_SECRET: z.string().min(32).default('dvcqg-local-development-secret-change-me'),
  AUTH_JWT_ISSUER: z.string().default('dvcqg'),
  PUBLIC_BASE_URL: z.string().default('http://127.0.0.1:3000'),
});

export type AppConfig = z.infer<typeof schema>;

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${issues}`);
  }
  const config = { ...parsed.data, ...overrides };
  if (config.NODE_ENV === 'production' && config.AUTH_JWT_SECRET === schema.shape.AUTH_JWT_SECRET.parse(undefined)) {
    throw new Error('AUTH_JWT_SECRET must be set in production');
  }
  return config;
}
