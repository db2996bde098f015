import { jsonb, pgEnum, pgTable, text, timestamp, index } from 'drizzle-orm/pg-core';

export const notificationChannel = pgEnum('notification_channel', ['sms', 'email', 'portal']);
export const notificationStatus = pgEnum('notification_status', ['sent', 'failed']);

/**
 * Notification outbox: every message the system sends (SMS, e-mail, Portal inbox), in Vietnamese
 * with English alongside. Keyed by an idempotency key (workflow id + step + channel), so a retried
 * activity never sends twice.
 */
export const notifications = pgTable(
  'notifications',
  {
    key: text().primaryKey(),
    workflowId: text().notNull(),
    channel: notificationChannel().notNull(),
    recipient: text().notNull(),
    template: text().notNull(),
    subjectVi: text().notNull(),
    subject: text().notNull(),
    bodyVi: text().notNull(),
    body: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>(),
    status: notificationStatus().notNull(),
    providerId: text(),
    error: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_workflow_idx').on(t.workflowId)],
);
