import { foreignKey, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { agencies } from './agencies.js';

/**
 * Who may do what (Art 15.1a, 41, 48): agencies' units (Vụ, Cục, Sở, ngành), their officers, and
 * the permissions each officer was granted. Grants and revocations are append-only (a trigger refuses
 * UPDATE and DELETE): the history answers "who could publish for BTP on date D" for good.
 */
export const agencyUnits = pgTable(
  'agency_units',
  {
    agency: text().notNull().references(() => agencies.code),
    code: text().notNull(),
    name: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdBy: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.agency, t.code] })],
);

/** An officer of an agency, identified by the `sub` of their bearer tokens (Art 41.1: a registered account). */
export const officers = pgTable(
  'officers',
  {
    agency: text().notNull().references(() => agencies.code),
    /** The token subject (`sub`) of the officer's account. */
    officer: text().notNull(),
    name: text().notNull(),
    unit: text(),
    registeredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    registeredBy: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agency, t.officer] }),
    foreignKey({ columns: [t.agency, t.unit], foreignColumns: [agencyUnits.agency, agencyUnits.code] }),
  ],
);

/** One grant of one permission to one officer of one agency, valid from `validFrom` to `validTo` (open-ended when null). */
export const permissionGrants = pgTable(
  'permission_grants',
  {
    id: uuid().primaryKey().defaultRandom(),
    agency: text().notNull(),
    officer: text().notNull(),
    permission: text().notNull(),
    validFrom: timestamp({ withTimezone: true }).notNull(),
    validTo: timestamp({ withTimezone: true }),
    /** `role/code/user` of the administrator who granted it. */
    grantedBy: text().notNull(),
    reason: text().notNull(),
    grantedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ columns: [t.agency, t.officer], foreignColumns: [officers.agency, officers.officer] }),
    // The grant history, newest first by keyset (issue 18.3): whole, per agency, per officer; each ends in the id.
    index('permission_grants_officer_idx').on(t.agency, t.officer, t.grantedAt, t.id),
    index('permission_grants_agency_granted_idx').on(t.agency, t.grantedAt, t.id),
    index('permission_grants_granted_idx').on(t.grantedAt, t.id),
    index('permission_grants_permission_idx').on(t.permission, t.agency, t.validFrom),
  ],
);

/** The end of a grant before its `validTo` (an officer who moved or left, Art 41.2); at most one per grant. */
export const permissionRevocations = pgTable('permission_revocations', {
  grantId: uuid().primaryKey().references(() => permissionGrants.id),
  revokedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  revokedBy: text().notNull(),
  reason: text().notNull(),
});
