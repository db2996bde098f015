import type { Database } from '../db/client.js';
import {
  activeMaintenanceWindow,
  applySecurityServerChange,
  maintenanceParties,
  projectConnectedSystem,
  projectMaintenanceWindow,
  projectSecurityServerChange,
  projectSupportRequest,
  recordOutageEnd,
  recordOutageStart,
  type ConnectedSystemRow,
  type MaintenanceRow,
  type SecurityServerChangeRow,
  type SupportRequestRow,
} from '../db/queries/operations.js';
import { probeableUrl } from '../workflows/operations.definitions.js';
import type { ActionRecord } from '../workflows/actors.js';
import type { SendNotificationInput } from './notifications.js';

/** At most this many same-origin redirects are followed; a redirect to another origin fails the probe. */
const MAX_REDIRECTS = 3;

export interface ProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
  latencyMs: number;
}

/**
 * Art 52: one bounded health check. Only http(s); GET without following redirects to another
 * origin; the whole probe (redirects included) ends within `timeoutMs`; the body is never read.
 * A failure is a result (ok: false), not an error: the monitor counts it.
 */
export async function probeHealthUrl(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  const latencyMs = () => Date.now() - started;
  const refused = probeableUrl(url);
  if (refused) return { ok: false, error: `refused: ${refused}`, latencyMs: 0 };
  let target = new URL(url);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for (let hop = 0; ; hop += 1) {
      const res = await fetch(target, { method: 'GET', redirect: 'manual', signal, headers: { accept: '*/*', 'user-agent': 'dvcqg-connection-monitor' } });
      await res.body?.cancel();
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, target);
        if (next.origin !== target.origin) return { ok: false, status: res.status, error: `redirect to another origin (${next.origin}) refused`, latencyMs: latencyMs() };
        if (hop >= MAX_REDIRECTS) return { ok: false, status: res.status, error: `more than ${MAX_REDIRECTS} redirects`, latencyMs: latencyMs() };
        target = next;
        continue;
      }
      const ok = res.status >= 200 && res.status < 300;
      return { ok, status: res.status, ...(ok ? {} : { error: `HTTP ${res.status}` }), latencyMs: latencyMs() };
    }
  } catch (err) {
    if (signal.aborted) return { ok: false, error: `no answer within ${timeoutMs} ms`, latencyMs: latencyMs() };
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    return { ok: false, error: (cause ?? (err instanceof Error ? err.message : String(err))).slice(0, 300), latencyMs: latencyMs() };
  }
}

type SendNotification = (input: SendNotificationInput) => Promise<unknown>;

export interface MaintenanceNoticeInput {
  workflowId: string;
  /** Idempotency: `${workflowId}:${step}:…` per recipient. */
  step: string;
  template: string;
  subjectVi: string;
  subject: string;
  bodyVi: string;
  body: string;
  data?: Record<string, unknown>;
}

/** Technical operations (Art 50–52): the workflows decide, these record, probe and notify — idempotently. */
export function createOperationsActivities(db: Database, sendNotification: SendNotification) {
  return {
    async projectSecurityServerChange(input: { row: SecurityServerChangeRow; action?: ActionRecord }): Promise<void> {
      await projectSecurityServerChange(db, input.row, input.action);
    },
    /** Art 50.2: at its effective instant the change becomes the server's current version. */
    async applySecurityServerChange(input: { changeId: string; appliedAt: string }): Promise<{ status: 'current' | 'superseded' }> {
      return applySecurityServerChange(db, input);
    },
    async projectSupportRequest(input: { row: SupportRequestRow; action?: ActionRecord }): Promise<void> {
      await projectSupportRequest(db, input.row, input.action);
    },
    async projectMaintenanceWindow(input: { row: MaintenanceRow; action?: ActionRecord }): Promise<void> {
      await projectMaintenanceWindow(db, input.row, input.action);
    },
    async projectConnectedSystem(input: { row: ConnectedSystemRow; action?: ActionRecord }): Promise<void> {
      await projectConnectedSystem(db, input.row, input.action);
    },
    async recordOutageStart(row: Parameters<typeof recordOutageStart>[1]): Promise<void> {
      await recordOutageStart(db, row);
    },
    async recordOutageEnd(row: Parameters<typeof recordOutageEnd>[1]): Promise<void> {
      await recordOutageEnd(db, row);
    },
    async activeMaintenanceWindow(input: { at: string }): Promise<{ windowId: string; endsAt: string } | null> {
      return activeMaintenanceWindow(db, input.at);
    },
    async probeConnectedSystem(input: { url: string; timeoutMs: number }): Promise<ProbeResult> {
      return probeHealthUrl(input.url, input.timeoutMs);
    },
    /**
     * Art 51: a maintenance notice to every party — a Portal inbox notice to each agency and active
     * bank, an e-mail to each technical contact on file. Each message once (outbox key per recipient).
     */
    async notifyMaintenanceParties(input: MaintenanceNoticeInput): Promise<{ inbox: number; email: number }> {
      const parties = await maintenanceParties(db);
      const message = { workflowId: input.workflowId, template: input.template, subjectVi: input.subjectVi, subject: input.subject, bodyVi: input.bodyVi, body: input.body, data: input.data };
      const inbox = [...parties.agencies.map((code) => ({ code, kind: 'agency' as const })), ...parties.banks.map((code) => ({ code, kind: 'bank' as const }))];
      for (const { code, kind } of inbox) {
        await sendNotification({ ...message, key: `${input.workflowId}:${input.step}:portal:${kind}:${code}`, channel: 'portal', recipient: code, recipientKind: kind });
      }
      for (const email of parties.emails) {
        await sendNotification({ ...message, key: `${input.workflowId}:${input.step}:email:${email}`, channel: 'email', recipient: email, recipientKind: 'agency' });
      }
      return { inbox: inbox.length, email: parties.emails.length };
    },
  };
}
