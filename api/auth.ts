import { createRemoteJWKSet, jwtVerify, SignJWT, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_JWT_AUDIENCE, type AppConfig } from '../config/index.js';
import type { Executor } from '../db/client.js';
import { officerPermissionsNow } from '../db/queries/permissions.js';
import { appliesTo, isPermission, permissionOfRoute, type Permission } from '../domain/permissions/catalogue.js';
import type { Caller } from '../domain/permissions/case-actions.js';
import { problem } from './errors.js';

/**
 * Authentication: JWT bearer tokens (library: jose) carrying the actor's role and, for agencies
 * and banks, their code — HS256 with the shared secret, or RS256/ES256 from an identity provider's
 * JWKS. Every token names this API as audience, its issuer, and a bounded lifetime (`exp`, `iat`).
 * Authorization: one preHandler hook reads each route's
 * `config.access` (allowed roles, and optionally where the request names an agency/bank) and
 * `config.permission` (the officer permission an action needs, domain/permissions/catalogue.ts),
 * and refuses with 401/403 before the handler runs, so nothing is changed.
 */
export const ROLES = ['agency', 'vpcp', 'bank', 'auditor', 'portal'] as const;
export type Role = (typeof ROLES)[number];

export const actorSchema = z.object({
  userId: z.string().min(1),
  role: z.enum(ROLES),
  /** Agency code for `agency` (required) and `vpcp` (VPCP). */
  agency: z.string().min(1).optional(),
  /** Bank / payment intermediary code for `bank` (required). */
  bank: z.string().min(1).optional(),
  /** Set by the API on an officer's action: the permission it was authorized by (recorded with the action). */
  permission: z.string().optional(),
  /** …and the grant that gave it (absent for the local profile's service account). */
  grant: z.string().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

const claimsSchema = z
  .object({ sub: z.string().min(1), role: z.enum(ROLES), agency: z.string().optional(), bank: z.string().optional() })
  .refine((c) => c.role !== 'agency' || !!c.agency, { message: 'agency tokens must carry an agency code' })
  .refine((c) => c.role !== 'bank' || !!c.bank, { message: 'bank tokens must carry a bank code' });

export interface AuthConfig {
  /** HS256 bearer tokens; audit view tokens derive their own key from it. */
  secret: string;
  issuer: string;
  audience: string;
  /** Longest accepted lifetime (exp − iat) of a bearer token, in seconds. */
  maxLifetimeSeconds: number;
  /** An identity provider's key set (RS256/ES256 tokens). */
  jwksUrl?: string;
}

export const authConfigOf = (config: AppConfig): AuthConfig => ({
  secret: config.AUTH_JWT_SECRET,
  issuer: config.AUTH_JWT_ISSUER,
  audience: config.AUTH_JWT_AUDIENCE,
  maxLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME,
  jwksUrl: config.AUTH_JWKS_URL,
});

/** Signature algorithms accepted from an identity provider's JWKS. */
const PROVIDER_ALGORITHMS = ['RS256', 'ES256'];

export interface RouteAccess {
  /** Roles allowed on the route; omitted = public. */
  roles?: readonly Role[];
  /** Where the request names the agency it acts for; agencies may only act for their own. */
  agencyOf?: (request: FastifyRequest) => string | undefined;
  /** Where the request names the bank it acts for; banks may only act for themselves. */
  bankOf?: (request: FastifyRequest) => string | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** The officer permission the route needs (officers only: banks, the Portal and auditors are authorized by role). */
    permission?: Permission;
  }
  interface FastifyRequest {
    actor: Actor | undefined;
  }
  interface FastifyInstance {
    /** The officers' current permissions, cached briefly (revocation bounded by the cache's lifetime). */
    permissions: PermissionCache;
  }
}

/** An HS256 bearer token for `actor` (scripts/mint-token.ts, tests, benchmarks). */
export async function mintToken(
  config: Pick<AuthConfig, 'secret' | 'issuer'> & { audience?: string },
  actor: Actor,
  expiresIn = '12h',
): Promise<string> {
  return new SignJWT({ role: actor.role, ...(actor.agency ? { agency: actor.agency } : {}), ...(actor.bank ? { bank: actor.bank } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.userId)
    .setIssuer(config.issuer)
    .setAudience(config.audience ?? DEFAULT_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(config.secret));
}

/** Verifies bearer tokens against the configuration: built once, it keeps the JWKS cache. */
export function createTokenVerifier(config: AuthConfig): (token: string) => Promise<Actor> {
  const secret = new TextEncoder().encode(config.secret);
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  // The header's algorithm picks the key: HS256 only ever with the secret, RS256/ES256 only with the provider's keys.
  const key: JWTVerifyGetKey = async (header, token) => (header.alg === 'HS256' || !jwks ? secret : jwks(header, token));
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: jwks ? ['HS256', ...PROVIDER_ALGORITHMS] : ['HS256'],
    requiredClaims: ['exp', 'iat', 'sub'],
    // Clock skew between the identity provider and this server.
    clockTolerance: 30,
  };
  // Verified tokens, reused until they expire (and for at most a minute, so a provider's key
  // rotation or a changed secret bites soon): a caller sends the same token with every request,
  // and the signature check is the costliest step of authentication. Invalid tokens are not kept.
  const verified = new Map<string, { actor: Actor; until: number }>();
  return async (token) => {
    const now = Date.now();
    const known = verified.get(token);
    if (known && known.until > now) return { ...known.actor };
    if (known) verified.delete(token);
    const { expiresAt, ...actor } = await verify(token);
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value as string);
    verified.set(token, { actor, until: Math.min(now + 60_000, expiresAt) });
    return { ...actor };
  };

  async function verify(token: string): Promise<Actor & { expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, options));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw problem('unauthenticated', 'The bearer token has expired');
      // The provider's key set could not be fetched: our outage, not the caller's bad token.
      if (jwks && (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError))) {
        throw problem('unavailable', 'The identity provider cannot be reached to verify the bearer token');
      }
      throw problem('unauthenticated', 'The bearer token is invalid');
    }
    if ((payload.exp as number) - (payload.iat as number) > config.maxLifetimeSeconds) {
      throw problem('unauthenticated', `The bearer token lives longer than the accepted ${config.maxLifetimeSeconds} s`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw problem('unauthenticated', 'The bearer token is invalid');
    return { userId: claims.data.sub, role: claims.data.role, agency: claims.data.agency, bank: claims.data.bank, expiresAt: (payload.exp as number) * 1000 };
  }
}

/** How many verified tokens the verifier keeps (the oldest goes first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/** The actor of an authenticated route (the hook guarantees it is set). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw problem('unauthenticated', 'A bearer token is required');
  return request.actor;
}

/** Roles that read across every agency. */
export const isSupervisor = (actor: Actor): boolean => actor.role === 'vpcp' || actor.role === 'auditor';

/** Agency scope: an agency officer acts only for their own agency; vpcp/auditor are not limited. */
export function assertAgencyScope(actor: Actor, agency: string, what = 'this case'): void {
  if (actor.role === 'agency' && actor.agency !== agency) {
    throw problem('wrong-scope', `Agency ${actor.agency} may not act on ${what} of agency ${agency}`);
  }
}

export function assertBankScope(actor: Actor, bank: string, what = 'this transaction'): void {
  if (actor.role === 'bank' && actor.bank !== bank) {
    throw problem('wrong-scope', `Bank ${actor.bank} may not act on ${what} of bank ${bank}`);
  }
}

/**
 * The one rule for list filters: `?agency=` / `?bank=` naming another agency or bank than the
 * caller's own is refused with 403 `wrong-scope` (never answered with a silently emptied list).
 * Use as a route's `access.agencyOf` / `access.bankOf`.
 */
export const agencyInQuery = (request: FastifyRequest): string | undefined => (request.query as { agency?: string } | undefined)?.agency;
export const bankInQuery = (request: FastifyRequest): string | undefined => (request.query as { bank?: string } | undefined)?.bank;

/** The agency (or VPCP) an officer acts for; undefined for callers that are not officers. */
const officerAgency = (actor: Actor): string | undefined =>
  actor.role === 'vpcp' ? 'VPCP' : actor.role === 'agency' ? actor.agency : undefined;

export interface PermissionHoldings {
  /** Permission → the grant that gives it; `all` for the local profile's service account. */
  held: ReadonlyMap<Permission, string> | 'all';
}

export interface PermissionCacheOptions {
  /** How long an officer's permissions are reused before PostgreSQL is asked again (≤ 30 s, so a revocation bites within a minute). */
  ttlMs: number;
  /**
   * An officer with no grants and no registration: `service-account` (local profile and tests only)
   * treats the token as its agency's service account holding every permission of its role;
   * `refuse` (production) grants nothing.
   */
  ungranted: 'service-account' | 'refuse';
}

/**
 * Officers' permissions as they stand in PostgreSQL, per (agency, officer), reused for `ttlMs`.
 * A grant or revocation made through this API instance clears the officer's entry at once; other
 * instances see it when their entry expires.
 */
export class PermissionCache {
  private readonly entries = new Map<string, { until: number; holdings: Promise<PermissionHoldings> }>();

  constructor(private readonly db: Executor, readonly options: PermissionCacheOptions) {}

  /** What `actor` holds now; undefined for callers that are not officers. */
  async of(actor: Actor): Promise<PermissionHoldings | undefined> {
    const agency = officerAgency(actor);
    if (!agency) return undefined;
    const key = `${agency}\n${actor.userId}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.until > now) return cached.holdings;
    const holdings = this.load(agency, actor);
    this.entries.set(key, { until: now + this.options.ttlMs, holdings });
    holdings.catch(() => this.entries.delete(key));
    if (this.entries.size > 10_000) this.sweep(now);
    return holdings;
  }

  invalidate(agency: string, officer: string): void {
    this.entries.delete(`${agency}\n${officer}`);
  }

  /** The caller as `actionsAllowed` needs it (domain/permissions/case-actions.ts). */
  async callerOf(actor: Actor): Promise<Caller> {
    const holdings = await this.of(actor);
    const permissions = !holdings || holdings.held === 'all' ? 'all' as const : new Set(holdings.held.keys());
    const code = officerAgency(actor) ?? actor.bank ?? actor.agency ?? actor.userId;
    return { role: actor.role, code, userId: actor.userId, permissions };
  }

  private async load(agency: string, actor: Actor): Promise<PermissionHoldings> {
    const { managed, held } = await officerPermissionsNow(this.db, agency, actor.userId);
    if (!managed && this.options.ungranted === 'service-account') return { held: 'all' };
    return { held: new Map([...held].filter((entry): entry is [Permission, string] => isPermission(entry[0]))) };
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}

/**
 * Refuses an officer who does not hold `permission` now (403 naming it); on success the actor
 * carries the permission and its grant, so the workflow records what authorized the action.
 */
export async function requirePermission(request: FastifyRequest, permission: Permission): Promise<void> {
  const actor = request.actor;
  if (!actor || !appliesTo(permission, actor.role)) return;
  const holdings = await request.server.permissions.of(actor);
  if (!holdings) return;
  if (holdings.held === 'all') {
    request.actor = { ...actor, permission };
    return;
  }
  const grant = holdings.held.get(permission);
  if (!grant) {
    throw problem('forbidden', `Officer ${actor.userId} of ${officerAgency(actor)} does not hold permission ${permission}; the agency's administrator grants it (Art 41.2, 48.2)`, [
      { path: 'permission', message: permission },
    ]);
  }
  request.actor = { ...actor, permission, grant };
}

export function registerAuth(app: FastifyInstance, config: AuthConfig, permissions: PermissionCache): void {
  const verifyToken = createTokenVerifier(config);
  app.decorate('permissions', permissions);
  app.decorateRequest('actor', undefined);
  // A route's permission must be in the catalogue, and the catalogue must name the route for it.
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!permission) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const listed = permissionOfRoute(`${method} ${route.url}`);
      if (listed !== permission) throw new Error(`Route ${method} ${route.url} declares permission ${permission}; the catalogue says ${listed ?? 'none'}`);
    }
  });
  // Authentication, role and permission first (onRequest), so an unauthenticated request is refused before
  // its body is even parsed; agency/bank scope once the body is validated (preHandler).
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw problem('unauthenticated', 'Authorization must be "Bearer <token>"');
      request.actor = await verifyToken(token);
      request.log = request.log.child({ actor: request.actor.userId, role: request.actor.role, agency: request.actor.agency ?? request.actor.bank });
    }
    if (!access?.roles) return;
    if (!request.actor) throw problem('unauthenticated', 'A bearer token is required');
    if (!access.roles.includes(request.actor.role)) {
      throw problem('wrong-role', `Role ${request.actor.role} may not do this; allowed: ${access.roles.join(', ')}`);
    }
    // The officer's permission, like the role, depends on the token alone: refused before the body is read.
    const permission = request.routeOptions.config.permission;
    if (permission) await requirePermission(request, permission);
  });
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access?.roles || !request.actor) return;
    const agency = access.agencyOf?.(request);
    if (agency) assertAgencyScope(request.actor, agency);
    const bank = access.bankOf?.(request);
    if (bank) assertBankScope(request.actor, bank);
  });
}
