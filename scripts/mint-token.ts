/**
 * Mint a local bearer token: npm run token -- --role agency --agency BTP [--user u1] [--bank VCB] [--ttl 12h]
 * Uses AUTH_JWT_SECRET / AUTH_JWT_ISSUER from the environment (the local default otherwise).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { actorSchema, mintToken } from '../api/auth.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    agency: { type: 'string' },
    bank: { type: 'string' },
    user: { type: 'string' },
    ttl: { type: 'string', default: '12h' },
  },
});
const config = loadConfig();
const actor = actorSchema.parse({
  userId: values.user ?? `${values.role ?? 'user'}-${values.agency ?? values.bank ?? 'local'}`.toLowerCase(),
  role: values.role,
  agency: values.agency,
  bank: values.bank,
});
process.stdout.write(`${await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, actor, values.ttl)}\n`);
