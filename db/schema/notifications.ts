import { integer, jsonb, pgEnum, pgTable, text, timestamp, index } from 'drizzle-orm/pg-core';

export const notificationChannel = pgEnum('notification_channel', ['sms', 'email', 'portal']);
/** `sending`: the key is claimed and the provider called (a crash here is retried with the same key). */
export const notificationStatus = pgEnum('notification_status', ['sent', 'failed', 'sending']);
/** Who a message is addressed to: agencies and banks read theirs through `GET /v1/notifications`. */
export const notificationRecipientKind = pgEnum('notification_recipient_kind', ['agency', 'bank', 'citizen']);

/**
 * Notification outbox: every message the system sends (SMS, e-mail, Portal inbox), in Vietnamese
 * with English alongside. Keyed by an idempotency key (workflow id + step + channel), so a retried
 * activity never sends twice. A message to an agency or a bank is also its Portal notice: linked to
 * its case (`workflowId`; none for a change of the bank register), read once (`readAt`, `readBy`).
 */
export const notifications = pgTable(
  'notifications',
  {
    key: text().primaryKey(),
    workflowId: text(),
    channel: notificationChannel().notNull(),
    recipient: text().notNull(),
    recipientKind: notificationRecipientKind().notNull().default('citizen'),
    template: text().notNull(),
    subjectVi: text().notNull(),
    subject: text().notNull(),
    bodyVi: text().notNull(),
    body: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>(),
    status: notificationStatus().notNull(),
    providerId: text(),
    error: text(),
    /** Provider calls made under this key (more than 1 only after a crash or a provider error). */
    attempts: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp({ withTimezone: true }),
    readBy: text(),
  },
  (t) => [
    index('notifications_workflow_idx').on(t.workflowId),
    index('notifications_recipient_idx').on(t.recipientKind, t.recipient, t.createdAt),
  ],
);
