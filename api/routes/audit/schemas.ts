import { z } from 'zod';
import { ENTRY_KINDS } from '../../../domain/audit/timeline.js';
import { EXPORT_FORMAT } from '../../../domain/audit/export.js';
import { caseId } from '../../schemas.js';

const actorView = z.object({
  userId: z.string(), role: z.string().optional(), agency: z.string().optional(), bank: z.string().optional(),
  /** The officer permission the action was authorized by, and its grant. */
  permission: z.string().optional(), grant: z.string().optional(),
});

export const clockView = z
  .object({
    key: z.string(),
    article: z.string().optional(),
    ruleSetId: z.string().optional(),
    step: z.string().optional(),
    stepVi: z.string().optional(),
    owner: z.string().optional(),
    ownerKind: z.string().optional(),
    stage: z.string().optional(),
    amount: z.number().optional(),
    unit: z.string().optional(),
    startedAt: z.string().optional(),
    dueAt: z.string().optional(),
    dueLocal: z.string().optional(),
    calendarVersion: z.number().optional(),
    rule: z.string().optional(),
    explanation: z.string().optional(),
    explanationVi: z.string().optional(),
    outcome: z.string().optional(),
    breachedAt: z.string().optional(),
    completedAt: z.string().optional(),
    completedBy: z.string().optional(),
    lateByMinutes: z.number().optional(),
    cancelReason: z.string().optional(),
    previousDueAt: z.string().optional(),
  })
  .meta({ id: 'AuditClock' });

const failureView = z.object({ type: z.string().optional(), message: z.string() });

export const timelineSchema = z
  .object({
    workflowId: z.string(),
    workflowType: z.string(),
    agency: z.string().optional(),
    process: z.string().optional(),
    status: z.string(),
    /** Where the case was read from: Temporal, or the permanent record once Temporal has purged it. */
    source: z.enum(['temporal', 'record']).optional(),
    runs: z.array(z.object({
      runId: z.string(),
      startedAt: z.string(),
      closedAt: z.string().optional(),
      closedAs: z.enum(['running', 'completed', 'failed', 'terminated', 'canceled', 'timedOut', 'continuedAsNew']),
      eventCount: z.number().int(),
    })),
    clocks: z.array(clockView),
    entries: z.array(z.object({
      seq: z.number().int(),
      at: z.string(),
      runId: z.string(),
      eventId: z.number().int(),
      kind: z.enum(ENTRY_KINDS),
      title: z.string(),
      titleVi: z.string(),
      actor: actorView.optional(),
      clock: clockView.optional(),
      notification: z.object({
        channel: z.string().optional(), recipient: z.string().optional(), template: z.string().optional(),
        subject: z.string().optional(), subjectVi: z.string().optional(), status: z.string(),
      }).optional(),
      update: z.object({
        name: z.string(),
        updateId: z.string().optional(),
        status: z.enum(['accepted', 'completed', 'failed']),
        completedAt: z.string().optional(),
        result: z.unknown().optional(),
        failure: failureView.optional(),
      }).optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    })),
    links: z.object({ temporalUi: z.string(), history: z.string(), html: z.string() }),
  })
  .meta({ id: 'AuditTimeline' });

/** One run's history in the proto3 JSON of `temporal workflow show --output json`. */
const historyJson = z.object({ events: z.array(z.record(z.string(), z.unknown())).min(1) });

const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/);

export const historyExportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    workflowId: caseId,
    runs: z.array(z.object({
      runId: z.string().min(1).max(200),
      history: historyJson,
      historySha256: sha256Hex,
      previousSha256: sha256Hex.nullable(),
      sha256: sha256Hex,
      /** Where the run was read from (Temporal, or the permanent record after retention); not hashed. */
      source: z.enum(['temporal', 'record']).optional(),
    }).strict()).min(1),
    /** The head of the hash chain (the last run's sha256). */
    sha256: sha256Hex,
  })
  .strict()
  .meta({ id: 'AuditHistoryExport' });

export const verifySchema = z
  .object({
    workflowId: z.string(),
    claimedSha256: z.string(),
    computedSha256: z.string(),
    /** The content is exactly what the hashes say (every run, every link, the head). */
    hashMatches: z.boolean(),
    /** The runs follow one another with none missing (first run first, none continued-as-new at the end). */
    chainComplete: z.boolean(),
    /** The head is the hash of a run in the permanent record, or of an export this server issued. */
    issuedByServer: z.boolean(),
    /** Which: `record` (a stored run's chain hash) or `export` (an issued export of a still-open case). */
    knownFrom: z.enum(['record', 'export']).optional(),
    issuedAt: z.string().optional(),
    issuedTo: z.string().optional(),
    problems: z.array(z.string()),
    verdict: z.enum(['authentic', 'tampered', 'incomplete', 'unknown-origin']),
  })
  .meta({ id: 'AuditVerification' });

export const replaySchema = z
  .object({
    workflowId: z.string(),
    workflowType: z.string(),
    ok: z.boolean(),
    runs: z.array(z.object({ runId: z.string(), ok: z.boolean(), error: z.object({ name: z.string(), message: z.string() }).optional() })),
  })
  .meta({ id: 'AuditReplay' });

const supervisionRow = z.object({
  workflowId: z.string(),
  clockKey: z.string(),
  process: z.string(),
  caseAgency: z.string(),
  owner: z.string(),
  article: z.string(),
  stage: z.string(),
  dueAt: z.string(),
  breachedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  completedBy: z.string().nullable(),
  timeline: z.string(),
  temporalUi: z.string(),
});

export const supervisionSchema = z
  .object({
    until: z.string(),
    breaches: z.object({ total: z.number().int(), items: z.array(supervisionRow) }),
    dueSoon: z.object({ total: z.number().int(), items: z.array(supervisionRow) }),
  })
  .meta({ id: 'AuditSupervision' });
