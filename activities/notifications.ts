import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { claimNotification, markNotification, type RecipientKind } from '../db/queries/notifications.js';

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
    /**
     * Sends once per key. The key is claimed in the outbox *before* the provider is called and is
     * passed to the provider, so a crash between sending and recording retries under the same key
     * (a provider that honours keys does not send twice); a retry after a recorded send returns it.
     */
    async sendNotification(input: SendNotificationInput): Promise<{ key: string; status: 'sent' | 'failed'; providerId?: string }> {
      const recipientKind = input.recipientKind ?? (input.channel === 'portal' ? 'agency' : 'citizen');
      const claim = await claimNotification(db, {
        key: input.key, workflowId: input.workflowId, channel: input.channel, recipient: input.recipient, recipientKind, template: input.template,
        subjectVi: input.subjectVi, subject: input.subject, bodyVi: input.bodyVi, body: input.body, data: input.data ?? null,
      });
      if (claim.status === 'sent') return { key: input.key, status: 'sent', providerId: claim.providerId ?? undefined };
      try {
        const { providerId } = await sender.send(input);
        await markNotification(db, input.key, { status: 'sent', providerId });
        return { key: input.key, status: 'sent', providerId };
      } catch (err) {
        // Recorded and retried by the activity's bounded retry policy, under the same key.
        await markNotification(db, input.key, { status: 'failed', error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    },
  };
}
