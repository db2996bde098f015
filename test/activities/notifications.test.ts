import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import type { NotificationSender, OutgoingMessage } from '../../activities/notifications.js';
import type { DatabaseHandle } from '../../db/client.js';
import { notifications } from '../../db/schema/index.js';
import { testDatabase, testLogger, uniqueId } from '../support/env.js';

/** A provider that honours idempotency keys (as SMS gateways and mail APIs with keys do): it delivers a key once. */
function keyedProvider(failFirstAfterDelivery = false) {
  const delivered = new Map<string, number>();
  const calls: string[] = [];
  let crashed = false;
  const sender: NotificationSender = {
    async send(message: OutgoingMessage & { key: string }) {
      calls.push(message.key);
      if (!delivered.has(message.key)) delivered.set(message.key, 1);
      // The worker dies after the provider delivered and before the outbox recorded it.
      if (failFirstAfterDelivery && !crashed) {
        crashed = true;
        throw new Error('worker killed between send and record');
      }
      return { providerId: `p-${message.key}` };
    },
  };
  return { sender, delivered, calls };
}

describe('notifications: the key is claimed in the outbox before the provider is called', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  const message = (key: string) => ({
    key, workflowId: uniqueId('case'), channel: 'sms' as const, recipient: '0900000000', template: 'test.notice',
    subjectVi: 'Thông báo', subject: 'Notice', bodyVi: 'Nội dung', body: 'Body',
  });

  it('a crash between the provider call and the record retries under the same key: the provider delivers once, the outbox records one message', async () => {
    const provider = keyedProvider(true);
    const { sendNotification } = createActivities({ db: database.db, logger: testLogger(), notificationSender: provider.sender });
    const key = uniqueId('notice');
    await expect(sendNotification(message(key))).rejects.toThrow(/worker killed/);
    const [claimed] = await database.db.select().from(notifications).where(eq(notifications.key, key));
    expect(claimed).toMatchObject({ status: 'failed', attempts: 1 });
    // The activity's retry.
    expect(await sendNotification(message(key))).toEqual({ key, status: 'sent', providerId: `p-${key}` });
    expect(provider.calls).toEqual([key, key]);
    expect(provider.delivered.get(key)).toBe(1);
    const rows = await database.db.select().from(notifications).where(eq(notifications.key, key));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a retry after a recorded send does not call the provider again', async () => {
    const provider = keyedProvider();
    const { sendNotification } = createActivities({ db: database.db, logger: testLogger(), notificationSender: provider.sender });
    const key = uniqueId('notice');
    await sendNotification(message(key));
    await sendNotification(message(key));
    expect(provider.calls).toEqual([key]);
    const [row] = await database.db.select().from(notifications).where(eq(notifications.key, key));
    expect(row).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
