import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { findSentNotification, recordSentNotification, type RecipientKind } from '../db/queries/notifications.js';

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
  /** Default: an agency for the Portal channel, the citizen for SMS and e-mail. */
  recipientKind?: RecipientKind;
  template: string;
  data?: Record<string, unknown>;
}

export function createNotificationActivities(db: Database, sender: NotificationSender) {
  return {
    /** Sends once per key: a retry after a successful send returns the recorded result. */
    async sendNotification(input: SendNotificationInput): Promise<{ key: string; status: 'sent' | 'failed'; providerId?: string }> {
      const existing = await findSentNotification(db, input.key);
      if (existing?.status === 'sent') return { key: input.key, status: 'sent', providerId: existing.providerId ?? undefined };
      const { providerId } = await sender.send(input);
      const recipientKind = input.recipientKind ?? (input.channel === 'portal' ? 'agency' : 'citizen');
      await recordSentNotification(db, { ...input, recipientKind, providerId, data: input.data ?? null });
      return { key: input.key, status: 'sent', providerId };
    },
  };
}
