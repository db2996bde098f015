/**
 * Mint a bearer token: npm run token -- --role agency --agency BTP [--user u1] [--bank VCB] [--ttl 12h]
 * Signed with AUTH_JWT_SECRET, for AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE, from the environment; without
 * a secret, the local profile's development secret (tokens for `npm start`, refused anywhere else).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { actorSchema, authConfigOf, mintToken } from '../api/auth.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    agency: { type: 'string' },
    bank: { type: 'string' },
    user: { type: 'string' },
    ttl: { type: 'string' },
  },
});
const config = loadConfig({ DVCQG_PROFILE: 'local', ...process.env });
if (config.AUTH_JWKS_URL && !process.env.AUTH_JWT_SECRET) {
  throw new Error('Only AUTH_JWKS_URL is set: bearer tokens come from the identity provider, not from this script');
}
const actor = actorSchema.parse({
  userId: values.user ?? `${values.role ?? 'user'}-${values.agency ?? values.bank ?? 'local'}`.toLowerCase(),
  role: values.role,
  agency: values.agency,
  bank: values.bank,
});
// Default lifetime: the longest the API accepts (AUTH_MAX_TOKEN_LIFETIME).
process.stdout.write(`${await mintToken(authConfigOf(config), actor, values.ttl ?? `${config.AUTH_MAX_TOKEN_LIFETIME}s`)}\n`);
