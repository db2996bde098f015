/**
 * Side effects done twice: messages handed to the sender more than once per outbox key (the
 * worker's `notification sent` log lines, across every worker process of the run), outbox rows
 * for the same case step, payouts, and rows that should exist once per business key.
 */
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';

export interface Duplicate {
  what: string;
  key: string;
  count: number;
}

/** How often the worker handed each outbox key to the sender (the send happens before the row is written). */
export function sendsPerKey(logFiles: string[]): Map<string, number> {
  const sends = new Map<string, number>();
  for (const file of logFiles) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"notification sent"')) continue;
      try {
        const key = (JSON.parse(line) as { key?: string }).key;
        if (key) sends.set(key, (sends.get(key) ?? 0) + 1);
      } catch {
        // A line cut by SIGKILL.
      }
    }
  }
  return sends;
}

/** Queries whose every row is a duplicate: `what` names it, `key` identifies it, `count` > 1. */
const DUPLICATE_QUERIES: { what: string; sql: string }[] = [
  { what: 'outbox rows for one case step', sql: `select concat_ws(' ', workflow_id, template, channel, recipient) as key, count(*)::int as count from notifications where workflow_id is not null group by workflow_id, template, channel, recipient having count(*) > 1` },
  { what: 'payouts of one debit', sql: `select concat_ws(' ', payment_id, bank_txn_ref) as key, count(*)::int as count from refund_payouts group by payment_id, bank_txn_ref having count(*) > 1` },
  { what: 'live refunds of one debit', sql: `select concat_ws(' ', payment_id, bank_txn_ref) as key, count(*)::int as count from refunds where status <> 'rejected' group by payment_id, bank_txn_ref having count(*) > 1` },
  { what: 'payments of one dossier', sql: `select concat_ws(' ', agency, dossier_code) as key, count(*)::int as count from payments group by agency, dossier_code having count(*) > 1` },
  { what: 'bank callbacks of one kind on one payment', sql: `select concat_ws(' ', payment_id, kind) as key, count(*)::int as count from payment_callbacks group by payment_id, kind having count(*) > 1` },
  { what: 'feedback items of one Portal account', sql: `select portal_account_id as key, count(*)::int as count from feedback_items where portal_account_id is not null group by portal_account_id having count(*) > 1` },
  { what: 'feedback actions recorded twice', sql: `select concat_ws(' ', workflow_id, action) as key, count(*)::int as count from feedback_actions group by workflow_id, action having count(*) > 1` },
  { what: 'DVCTT actions recorded twice', sql: `select concat_ws(' ', service_code, action, data->>'round', data->>'decision') as key, count(*)::int as count from dvctt_actions group by service_code, action, data->>'round', data->>'decision' having count(*) > 1` },
  { what: 'TTHC versions published twice', sql: `select code as key, count(*)::int as count from tthc_versions group by code having count(*) > 1` },
  { what: 'discrepancy cases of one difference', sql: `select concat_ws(' ', txn_date, agency, bank, payment_id, kind) as key, count(*)::int as count from discrepancies group by txn_date, agency, bank, payment_id, kind having count(*) > 1` },
];

export async function findDuplicates(sql: postgres.Sql, workerLogs: string[]): Promise<{ duplicates: Duplicate[]; sends: number; outboxKeys: number }> {
  const duplicates: Duplicate[] = [];
  const sends = sendsPerKey(workerLogs);
  for (const [key, count] of sends) if (count > 1) duplicates.push({ what: 'messages sent twice for one outbox key', key, count });
  for (const q of DUPLICATE_QUERIES) {
    const rows = await sql.unsafe<{ key: string; count: number }[]>(q.sql);
    for (const row of rows) duplicates.push({ what: q.what, key: row.key, count: row.count });
  }
  const [outbox] = await sql<{ n: number }[]>`select count(*)::int as n from notifications`;
  return { duplicates, sends: [...sends.values()].reduce((a, b) => a + b, 0), outboxKeys: outbox?.n ?? 0 };
}
