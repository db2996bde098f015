import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { feeTypes } from '../schema/index.js';
import { feeTypes as feeTypeSeed, type FeeTypeSeed } from '../seed-data/fee-types.js';
import { beneficiaryProblem, type Beneficiary } from '../../domain/payments/beneficiary.js';
import { findBank } from './payment.js';

const columns = { code: feeTypes.code, name: feeTypes.name, nameVi: feeTypes.nameVi, category: feeTypes.category, updatedBy: feeTypes.updatedBy, updatedAt: feeTypes.updatedAt };

export function listFeeTypes(db: Executor) {
  return db.select(columns).from(feeTypes).orderBy(asc(feeTypes.code));
}

/** The catalogue's codes (Art 34.1). */
export async function feeTypeCodes(db: Executor): Promise<ReadonlySet<string>> {
  return new Set((await db.select({ code: feeTypes.code }).from(feeTypes)).map((row) => row.code));
}

export async function findFeeType(db: Executor, code: string) {
  const [row] = await db.select(columns).from(feeTypes).where(eq(feeTypes.code, code));
  return row;
}

/** VPCP adds a code to the catalogue or renames one (Art 34.1); reports whether it was new. */
export async function putFeeType(db: Executor, feeType: FeeTypeSeed, by: string): Promise<{ created: boolean }> {
  const [row] = await db
    .insert(feeTypes)
    .values({ ...feeType, updatedBy: by })
    .onConflictDoUpdate({ target: feeTypes.code, set: { name: feeType.name, nameVi: feeType.nameVi, category: feeType.category, updatedBy: by, updatedAt: new Date() } })
    .returning({ created: sql<boolean>`xmax = 0` });
  return { created: row?.created ?? false };
}

/** The migrator adds the seeded codes that are missing; names VPCP changed stay as VPCP set them. */
export async function seedFeeTypes(db: Executor): Promise<void> {
  await db.insert(feeTypes).values(feeTypeSeed).onConflictDoNothing();
}

/**
 * What a payment request names that the Portal does not know (400, field by field): a fee type
 * outside the catalogue (Art 34.1), a beneficiary that is neither a registered bank nor the State
 * Treasury (Art 33.4).
 */
export async function paymentReferenceErrors(db: Executor, request: { feeTypeCode: string; beneficiary: Beneficiary }, feeTypeCodes?: ReadonlySet<string>) {
  const [feeType, bank] = await Promise.all([
    // A code in the reused catalogue is known; any other is looked up (it may have been added since).
    feeTypeCodes?.has(request.feeTypeCode) || findFeeType(db, request.feeTypeCode),
    request.beneficiary.kind === 'bank' ? findBank(db, request.beneficiary.institution) : undefined,
  ]);
  const errors: { path: string; message: string }[] = [];
  if (!feeType) errors.push({ path: 'body.feeTypeCode', message: `'${request.feeTypeCode}' is not in the fee-type catalogue (Art 34.1; GET /v1/fee-types)` });
  const beneficiary = beneficiaryProblem(request.beneficiary, bank);
  if (beneficiary) errors.push({ path: 'body.beneficiary.institution', message: beneficiary });
  return errors;
}
