import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { agencies } from '../schema/index.js';

const columns = { code: agencies.code, name: agencies.name, nameVi: agencies.nameVi, kind: agencies.kind };

export function listAgencies(db: Executor, params: { kind?: (typeof agencies.kind.enumValues)[number] }) {
  const query = db.select(columns).from(agencies).orderBy(asc(agencies.code));
  return params.kind ? query.where(eq(agencies.kind, params.kind)) : query;
}

export async function findAgency(db: Executor, code: string) {
  const [row] = await db.select(columns).from(agencies).where(eq(agencies.code, code));
  return row;
}
