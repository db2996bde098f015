import { pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** What Art 31.1 names: phí, lệ phí, thuế and other financial obligations. */
export const feeTypeCategory = pgEnum('fee_type_category', ['fee', 'charge', 'tax', 'other']);

/**
 * The catalogue of payment transaction type codes (mã loại giao dịch thanh toán, Art 34.1): every
 * payment names one, and reconciliation reports filter by it (Art 34.3c). Reference data: seeded
 * by the migrator, maintained by VPCP.
 */
export const feeTypes = pgTable('fee_types', {
  code: text().primaryKey(),
  name: text().notNull(),
  nameVi: text().notNull(),
  category: feeTypeCategory().notNull(),
  updatedBy: text(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
