import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { FastifyRequest } from 'fastify';
import type { Actor, AuthConfig, Role } from '../../auth.js';
import { problem } from '../../errors.js';

/**
 * Browsers cannot send an Authorization header when following a link, so the audit HTML pages
 * also accept `?token=<view token>`: a JWT valid for VIEW_TOKEN_MINUTES, minted from a bearer
 * token by `POST /v1/audit/view-token`. It is signed with a key derived from the API secret for
 * this purpose only, so it is refused everywhere else (as a bearer token it fails verification):
 * a view token that leaks through a URL opens the audit pages for minutes, nothing more. The
 * supervisor dashboard (`/v1/supervision/dashboard`) takes the same tokens, also a bank's.
 */
export const VIEW_TOKEN_MINUTES = 15;
const PURPOSE = 'dvcqg audit view token';

/** View tokens need only the secret their key derives from and the issuer. */
type ViewTokenKeys = Pick<AuthConfig, 'secret' | 'issuer'>;

const viewKey = (secret: string) => createHmac('sha256', secret).update(PURPOSE).digest();

export async function mintViewToken(config: ViewTokenKeys, actor: Actor, now = new Date()): Promise<{ token: string; expiresAt: string }> {
  const exp = Math.floor(now.getTime() / 1000) + VIEW_TOKEN_MINUTES * 60;
  const token = await new SignJWT({ role: actor.role, ...(actor.agency ? { agency: actor.agency } : {}), ...(actor.bank ? { bank: actor.bank } : {}), purpose: 'audit-view' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.userId)
    .setIssuer(config.issuer)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(exp)
    .sign(viewKey(config.secret));
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

export async function verifyViewToken(config: ViewTokenKeys, token: string): Promise<Actor> {
  try {
    const { payload } = await jwtVerify(token, viewKey(config.secret), { issuer: config.issuer, algorithms: ['HS256'] });
    const lifetime = (payload.exp ?? Infinity) - (payload.iat ?? 0);
    if (payload.purpose !== 'audit-view' || lifetime > VIEW_TOKEN_MINUTES * 60 || typeof payload.sub !== 'string') {
      throw problem('unauthenticated', 'The view token is invalid');
    }
    const role = payload.role;
    if (role !== 'auditor' && role !== 'vpcp' && role !== 'agency' && role !== 'bank') throw problem('unauthenticated', 'The view token is invalid');
    const agency = typeof payload.agency === 'string' ? payload.agency : undefined;
    const bank = typeof payload.bank === 'string' ? payload.bank : undefined;
    if ((role === 'agency' && !agency) || (role === 'bank' && !bank)) throw problem('unauthenticated', 'The view token is invalid');
    return { userId: payload.sub, role, agency, ...(bank ? { bank } : {}) };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw problem('unauthenticated', 'The view token has expired; open the page again from a fresh link');
    if (err instanceof joseErrors.JOSEError) throw problem('unauthenticated', 'The view token is invalid');
    throw err;
  }
}

/**
 * The authentication of a page route: a bearer header (already verified by the global hook) or
 * `?token=<view token>`, then the page's roles. Routes using it declare no `access` of their own.
 */
export async function authenticatePage(request: FastifyRequest, config: ViewTokenKeys, roles: readonly Role[]): Promise<void> {
  const { token } = (request.query ?? {}) as { token?: unknown };
  if (!request.actor && typeof token === 'string' && token) request.actor = await verifyViewToken(config, token);
  if (!request.actor) throw problem('unauthenticated', 'A bearer token (or, for the HTML pages, ?token=<view token>) is required');
  if (!roles.includes(request.actor.role)) {
    throw problem('wrong-role', `Role ${request.actor.role} may not do this; allowed: ${roles.join(', ')}`);
  }
}
