/**
 * The first VPCP administrator of a production deployment (Art 48.1), where no token acts without
 * grants: npx tsx scripts/bootstrap-administrator.ts --officer <sub> --name "<full name>" --reason "<decision>"
 * Registers the officer in VPCP and grants `permissions.administer` and `permissions.grant`, recorded
 * as granted by `operator/bootstrap`. Run once per deployment, with DATABASE_URL of the deployment;
 * every later appointment goes through the API (POST /v1/permissions/administrators).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { createDatabase } from '../db/client.js';
import { insertGrant, upsertOfficer } from '../db/queries/permissions.js';

const { values } = parseArgs({ options: { officer: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' } } });
if (!values.officer || !values.name || !values.reason) throw new Error('--officer, --name and --reason are required');
const { DATABASE_URL } = loadConfig({ DVCQG_PROFILE: 'local', ...process.env });
const { db, close } = createDatabase(DATABASE_URL, { max: 1 });
try {
  const grantedBy = 'operator/bootstrap';
  await upsertOfficer(db, { agency: 'VPCP', officer: values.officer, name: values.name, registeredBy: grantedBy });
  for (const permission of ['permissions.administer', 'permissions.grant']) {
    const grant = await insertGrant(db, { agency: 'VPCP', officer: values.officer, permission, validFrom: new Date(), grantedBy, reason: values.reason });
    process.stdout.write(`granted ${permission} to VPCP/${values.officer} (grant ${grant.id})\n`);
  }
} finally {
  await close();
}
