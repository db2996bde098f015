import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { advanceAccounts, findDueAccounts, upsertAccountIssue, type AccountIssueProjection, type DueAccount } from '../db/queries/account.js';
import { INACTIVITY_RULES, NOTICE_STAGE, type InactivityStepResult } from '../workflows/account.definitions.js';
import type { SendNotificationInput } from './notifications.js';

/**
 * The Portal's identity system (Art 13.2), an outside party behind an interface: it knows how to
 * reach an account's owner, and it locks accounts when told to. Both calls are idempotent.
 */
export interface IdentityProvider {
  /** SMS number and e-mail address of each account (accounts it does not know are absent). */
  contacts(accountIds: string[]): Promise<Map<string, { phone?: string; email?: string }>>;
  lock(accountId: string): Promise<void>;
}

/**
 * Default identity provider: records the locks it was asked for (`locked`, in order) and answers
 * synthetic contacts (no identity system is reachable from this system's defaults).
 */
export function recordingIdentityProvider(logger?: Logger): IdentityProvider & { locked: string[] } {
  const locked: string[] = [];
  return {
    locked,
    async contacts(accountIds) {
      return new Map(accountIds.map((id) => {
        const digits = BigInt(`0x${createHash('sha256').update(id).digest('hex').slice(0, 12)}`).toString().padStart(8, '0').slice(-8);
        return [id, { phone: `09${digits}`, email: `${id}@accounts.example.invalid` }];
      }));
    },
    async lock(accountId) {
      if (!locked.includes(accountId)) locked.push(accountId);
      logger?.debug({ accountId }, 'identity provider: account locked (recording fake)');
    },
  };
}

/** Runs `fn` over `items` with at most `width` at a time. */
async function inPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

const NOTICE = {
  [NOTICE_STAGE.active]: { n: 1, subjectVi: 'Thông báo khóa tài khoản (lần 1)', subject: 'Your account will be locked (notice 1 of 2)' },
  [NOTICE_STAGE.firstNotice]: { n: 2, subjectVi: 'Thông báo khóa tài khoản (lần 2)', subject: 'Your account will be locked (notice 2 of 2)' },
} as const;

/** Account issues (Art 13.1) and the inactivity steps (Art 13.2): the workflows decide, these record and act, idempotently. */
export function createAccountActivities(
  db: Database,
  sendNotification: (input: SendNotificationInput) => Promise<unknown>,
  identity: IdentityProvider,
) {
  /** Art 13.2: one lock notice by SMS and e-mail; the key names the account and its inactivity period, so a retry never sends twice. */
  async function sendNotices(workflowId: string, due: DueAccount[], stage: 0 | 1): Promise<void> {
    const notice = NOTICE[stage];
    const contacts = await identity.contacts(due.map((a) => a.accountId));
    const messages = due.flatMap((a) => (['sms', 'email'] as const).map((channel) => ({ a, channel, recipient: contacts.get(a.accountId)?.[channel === 'sms' ? 'phone' : 'email'] })));
    await inPool(messages.filter((m) => m.recipient), 8, async ({ a, channel, recipient }) => {
      const since = a.lastActivityAt.toISOString();
      await sendNotification({
        key: `account-inactivity:${a.accountId}:${since}:notice${notice.n}:${channel}`, workflowId, template: `account.inactivity.notice${notice.n}`,
        channel, recipient: recipient!, subjectVi: notice.subjectVi, subject: notice.subject,
        bodyVi: `Tài khoản ${a.accountId} trên Cổng Dịch vụ công Quốc gia không phát sinh hoạt động nào trong 2 năm kể từ lần đăng nhập cuối cùng. ` +
          `Tài khoản sẽ bị khóa sau lần thông báo thứ 2 nếu không có hoạt động (Điều 13.2). Đăng nhập để giữ tài khoản.`,
        body: `Account ${a.accountId} on the National Public Service Portal has had no activity for 2 years since its last login. ` +
          `It will be locked after the second notice unless it is used (Art 13.2). Log in to keep it.`,
        data: { accountId: a.accountId, notice: notice.n, lastActivityAt: since },
      });
    });
  }

  return {
    /** Art 13.1: the issue's projection (no personal data), newer revision wins. */
    async recordAccountIssue(row: AccountIssueProjection): Promise<void> {
      await upsertAccountIssue(db, row);
    },

    /**
     * One batch of the daily sweep (Art 13.2): the due accounts by one indexed query; first and
     * second notices sent, then the accounts moved on; locks made in the transaction that records
     * them (a failed lock rolls the stage back, and the retry locks again). Accounts with activity
     * reported meanwhile are left as they are (counted as skipped).
     */
    async runInactivityStep(input: { workflowId: string; asOf: string; limit: number }): Promise<InactivityStepResult> {
      const asOf = new Date(input.asOf);
      const due = await findDueAccounts(db, asOf, input.limit);
      const stage = (s: number) => due.filter((a) => a.noticeStage === s);
      const result: InactivityStepResult = { read: due.length, firstNotices: 0, secondNotices: 0, locked: 0, skipped: 0 };
      const advance = (ex: Parameters<typeof advanceAccounts>[0], from: number, to: number, accounts: DueAccount[]) =>
        advanceAccounts(ex, { accounts, fromStage: from, toStage: to, asOf, noticeEvery: INACTIVITY_RULES.noticeEvery, locked: to === NOTICE_STAGE.locked });

      for (const from of [NOTICE_STAGE.active, NOTICE_STAGE.firstNotice] as const) {
        const accounts = stage(from);
        if (accounts.length === 0) continue;
        await sendNotices(input.workflowId, accounts, from);
        const moved = await advance(db, from, from + 1, accounts);
        if (from === NOTICE_STAGE.active) result.firstNotices += moved.length;
        else result.secondNotices += moved.length;
        result.skipped += accounts.length - moved.length;
      }
      const toLock = stage(NOTICE_STAGE.secondNotice);
      if (toLock.length > 0) {
        await db.transaction(async (tx) => {
          const moved = await advance(tx, NOTICE_STAGE.secondNotice, NOTICE_STAGE.locked, toLock);
          for (const id of moved) await identity.lock(id);
          result.locked += moved.length;
          result.skipped += toLock.length - moved.length;
        });
      }
      return result;
    },
  };
}
