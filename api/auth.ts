import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { problem } from './errors.js';

/**
 * Authentication: HS256-signed JWT bearer tokens (library: jose) carrying the actor's role and,
 * for agencies and banks, their code. Authorization: one preHandler hook reads each route's
 * `config.access` (allowed roles, and optionally where the request names an agency/bank) and
 * refuses with 401/403 before the handler runs, so nothing is changed.
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
});
export type Actor = z.infer<typeof actorSchema>;

const claimsSchema = z
  .object({ sub: z.string().min(1), role: z.enum(ROLES), agency: z.string().optional(), bank: z.string().optional() })
  .refine((c) => c.role !== 'agency' || !!c.agency, { message: 'agency tokens must carry an agency code' })
  .refine((c) => c.role !== 'bank' || !!c.bank, { message: 'bank tokens must carry a bank code' });

export interface AuthConfig {
  secret: string;
  issuer: string;
}

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
  }
  interface FastifyRequest {
    actor: Actor | undefined;
  }
}

export async function mintToken(config: AuthConfig, actor: Actor, expiresIn = '12h'): Promise<string> {
  return new SignJWT({ role: actor.role, ...(actor.agency ? { agency: actor.agency } : {}), ...(actor.bank ? { bank: actor.bank } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.userId)
    .setIssuer(config.issuer)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(config.secret));
}

export async function verifyToken(config: AuthConfig, token: string): Promise<Actor> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(config.secret), {
      issuer: config.issuer,
      algorithms: ['HS256'],
    });
    const claims = claimsSchema.parse(payload);
    return { userId: claims.sub, role: claims.role, agency: claims.agency, bank: claims.bank };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw problem('unauthenticated', 'The bearer token has expired');
    throw problem('unauthenticated', 'The bearer token is invalid');
  }
}

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

export function registerAuth(app: FastifyInstance, config: AuthConfig): void {
  app.decorateRequest('actor', undefined);
  // Authentication and role first (onRequest), so an unauthenticated request is refused before
  // its body is even parsed; agency/bank scope once the body is validated (preHandler).
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw problem('unauthenticated', 'Authorization must be "Bearer <token>"');
      request.actor = await verifyToken(config, token);
      request.log = request.log.child({ actor: request.actor.userId, role: request.actor.role, agency: request.actor.agency ?? request.actor.bank });
    }
    if (!access?.roles) return;
    if (!request.actor) throw problem('unauthenticated', 'A bearer token is required');
    if (!access.roles.includes(request.actor.role)) {
      throw problem('wrong-role', `Role ${request.actor.role} may not do this; allowed: ${access.roles.join(', ')}`);
    }
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
