import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { notifications } from '../db/schema/index.js';

export interface OutgoingMessage {
  channel: 'sms' | 'email' | 'portal';
  recipient: string;
  subjectVi: string;
  subject: string;
  bodyVi: string;
  body: string;
}

/** The outside party that delivers messages (SMS gateway, SMTP): pluggable, faked only here. */
export interface NotificationSender {
  send(message: OutgoingMessage & { key: string }): Promise<{ providerId: string }>;
}

/** Default sender: records and logs (no outside gateway is reachable from this system's defaults). */
export function loggingSender(logger: Logger): NotificationSender {
  return {
    async send(message) {
      logger.info({ key: message.key, channel: message.channel, recipient: message.recipient, subject: message.subject }, 'notification sent');
      return { providerId: `log:${message.key}` };
    },
  };
}

export interface SendNotificationInput extends OutgoingMessage {
  /** Idempotency key: `${workflowId}:${step}:${channel}`. */
  key: string;
  workflowId: string;
  template: string;
  data?: Record<string, unknown>;
}

export function createNotificationActivities(db: Database, sender: NotificationSender) {
  return {
    /** Sends once per key: a retry after a successful send returns the recorded result. */
    async sendNotification(input: SendNotificationInput): Promise<{ key: string; status: 'sent' | 'failed'; providerId?: string }> {
      const [existing] = await db.select({ status: notifications.status, providerId: notifications.providerId }).from(notifications).where(eq(notifications.key, input.key));
      if (existing?.status === 'sent') return { key: input.key, status: 'sent', providerId: existing.providerId ?? undefined };
      const { providerId } = await sender.send(input);
      const row = { ...input, status: 'sent' as const, providerId, data: input.data ?? null };
      await db.insert(notifications).values(row).onConflictDoUpdate({ target: notifications.key, set: { status: 'sent', providerId } });
      return { key: input.key, status: 'sent', providerId };
    },
  };
}
