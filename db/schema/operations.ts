import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Read models of technical operations (Art 50–52), written only by the `operations` workflows'
 * activities (each workflow is the source of truth), replaced only by a newer revision.
 */

/** A technical contact (security server, connected system): name and how to reach them. */
export interface TechnicalContact {
  name: string;
  phone?: string;
  email?: string;
}

/**
 * Art 50.2: every registered version of an agency's security server (máy chủ bảo mật) — the
 * server's history. `current` is the version in force; a change becomes current at its effective
 * instant and the one before becomes `superseded`.
 */
export const securityServerChanges = pgTable(
  'security_server_changes',
  {
    changeId: text().primaryKey(),
    workflowId: text().notNull(),
    agency: text().notNull(),
    serverId: text().notNull(),
    address: text().notNull(),
    certificateFingerprint: text().notNull(),
    contact: jsonb().$type<TechnicalContact>().notNull(),
    effectiveAt: timestamp({ withTimezone: true }).notNull(),
    registeredAt: timestamp({ withTimezone: true }).notNull(),
    /** End of the 3rd working day after registration: the change may take effect only after it (Art 50.2). */
    noticeDueAt: timestamp({ withTimezone: true }),
    emergency: boolean().notNull().default(false),
    emergencyReason: text(),
    decidedBy: text(),
    status: text().notNull(),
    refusedReason: text(),
    appliedAt: timestamp({ withTimezone: true }),
    supersededAt: timestamp({ withTimezone: true }),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('security_server_changes_server_idx').on(t.agency, t.serverId, t.effectiveAt),
    uniqueIndex('security_server_changes_one_current_idx').on(t.agency, t.serverId).where(sql`status = 'current'`),
  ],
);

/** Art 51: support and incident requests of agencies, handled by VPCP within 8 working hours. */
export const supportRequests = pgTable(
  'support_requests',
  {
    requestId: text().primaryKey(),
    workflowId: text().notNull(),
    agency: text().notNull(),
    kind: text().notNull(),
    title: text().notNull(),
    description: text().notNull(),
    status: text().notNull(),
    round: integer().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    /** The current clock's due instant: 8 working hours, or the completion time VPCP announced. */
    dueAt: timestamp({ withTimezone: true }),
    announcedCompletionAt: timestamp({ withTimezone: true }),
    resolvedAt: timestamp({ withTimezone: true }),
    closedAt: timestamp({ withTimezone: true }),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('support_requests_agency_status_idx').on(t.agency, t.status),
    // The list, newest first by keyset (issue 18.3): whole and per agency, each ending in the id.
    index('support_requests_received_idx').on(t.receivedAt, t.requestId),
    index('support_requests_agency_received_idx').on(t.agency, t.receivedAt, t.requestId),
  ],
);

/** Art 51: planned maintenance windows VPCP announced (or was refused for too short a notice). */
export const maintenanceWindows = pgTable(
  'maintenance_windows',
  {
    windowId: text().primaryKey(),
    workflowId: text().notNull(),
    title: text().notNull(),
    description: text().notNull(),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    endsAt: timestamp({ withTimezone: true }).notNull(),
    announcedAt: timestamp({ withTimezone: true }).notNull(),
    announcedBy: text().notNull(),
    /** End of the 5th working day after the announcement: a planned window may start only after it (Art 51). */
    noticeDueAt: timestamp({ withTimezone: true }),
    emergency: boolean().notNull().default(false),
    emergencyReason: text(),
    status: text().notNull(),
    refusedReason: text(),
    /** When the window actually opened and closed (the workflow's timers, or a cancellation). */
    startedAt: timestamp({ withTimezone: true }),
    endedAt: timestamp({ withTimezone: true }),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('maintenance_windows_active_idx').on(t.status, t.startsAt, t.endsAt), index('maintenance_windows_starts_idx').on(t.startsAt, t.windowId)],
);

/**
 * Art 52: the systems connected to the Portal (ministry/provincial portals, one-stop systems), one
 * row per system with its health-check URL and technical admins, and the monitor's last view.
 */
export const connectedSystems = pgTable(
  'connected_systems',
  {
    systemId: text().primaryKey(),
    workflowId: text().notNull(),
    agency: text().notNull(),
    name: text().notNull(),
    kind: text().notNull(),
    healthUrl: text().notNull(),
    admins: jsonb().$type<TechnicalContact[]>().notNull(),
    failureThreshold: integer().notNull(),
    intervalSeconds: integer().notNull(),
    timeoutMs: integer().notNull(),
    status: text().notNull(),
    consecutiveFailures: integer().notNull().default(0),
    lastProbeAt: timestamp({ withTimezone: true }),
    lastOkAt: timestamp({ withTimezone: true }),
    lastError: text(),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('connected_systems_agency_idx').on(t.agency)],
);

/**
 * Art 52: every outage of a connected system — from the first failed probe of the failing run to
 * the first successful probe (`endedAt` null while it lasts). Agency evaluation (Art 30) reads
 * uptime from `system_id, agency_code, started_at, ended_at`.
 */
export const connectionOutages = pgTable(
  'connection_outages',
  {
    outageId: text().primaryKey(),
    systemId: text().notNull(),
    agencyCode: text().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    endedAt: timestamp({ withTimezone: true }),
    /** When the N-th consecutive failure confirmed it and the admins were alerted. */
    detectedAt: timestamp({ withTimezone: true }).notNull(),
    failures: integer().notNull(),
    lastError: text(),
  },
  (t) => [
    // The list, latest start first by keyset (issue 18.3): whole, per agency, per system; each ends in the id.
    index('connection_outages_agency_idx').on(t.agencyCode, t.startedAt, t.outageId),
    index('connection_outages_system_idx').on(t.systemId, t.startedAt, t.outageId),
    index('connection_outages_started_idx').on(t.startedAt, t.outageId),
  ],
);

/** Every recorded action of an operations case (who, when, what, notes), keyed by workflow id + sequence. */
export const operationsActions = pgTable(
  'operations_actions',
  {
    workflowId: text().notNull(),
    seq: integer().notNull(),
    action: text().notNull(),
    actorUserId: text().notNull(),
    actorRole: text().notNull(),
    actorAgency: text(),
    at: timestamp({ withTimezone: true }).notNull(),
    note: text(),
    data: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.seq] })],
);
