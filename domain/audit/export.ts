import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The case export and its hash chain. Everything hashed is hashed over its RFC 8785 (JSON
 * Canonicalization Scheme) form, so the same run gives the same hash whichever source it was read
 * from (Temporal, whose protobuf maps come back in random key order, or the permanent record):
 *
 *   historySha256 = SHA-256( JCS(history) )                         history = one run, proto3 JSON
 *   sha256        = SHA-256( JCS({ workflowId, runId, previousSha256, historySha256 }) )
 *   previousSha256 = the previous run's sha256 (null for the first run of the case)
 *   export sha256  = the last run's sha256 (the head of the chain)
 *
 * Any RFC 8785 implementation recomputes them; `scripts/verify-export.ts` does it offline.
 */
export const EXPORT_FORMAT = 'dvcqg-case-export/2';

/** One run's history exactly as `temporal workflow show --output json` writes it (proto3 JSON). */
export type HistoryJson = { events: Record<string, unknown>[] };

/** Where a run was read from: said in exports, never hashed. */
export type RunSource = 'temporal' | 'record';

export interface ExportRun {
  runId: string;
  history: HistoryJson;
  historySha256: string;
  previousSha256: string | null;
  sha256: string;
  source?: RunSource;
}

export interface HistoryExport {
  format: typeof EXPORT_FORMAT;
  workflowId: string;
  runs: ExportRun[];
  /** The head of the chain: the last run's sha256. */
  sha256: string;
}

/** RFC 8785 canonical JSON text. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

export const sha256Hex = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export const historySha256Of = (history: HistoryJson): string => sha256Hex(canonicalJson(history));

export function chainSha256(link: { workflowId: string; runId: string; previousSha256: string | null; historySha256: string }): string {
  return sha256Hex(canonicalJson({ workflowId: link.workflowId, runId: link.runId, previousSha256: link.previousSha256, historySha256: link.historySha256 }));
}

/** Hashes one run onto the chain after `previousSha256`. */
export function chainRun(workflowId: string, runId: string, history: HistoryJson, previousSha256: string | null): Omit<ExportRun, 'history' | 'source'> {
  const historySha256 = historySha256Of(history);
  return { runId, historySha256, previousSha256, sha256: chainSha256({ workflowId, runId, previousSha256, historySha256 }) };
}

/**
 * The export of every run of a case, oldest first. A run already in the record store brings its
 * stored hashes (recomputed, so a damaged store row shows up as a mismatch on verification).
 */
export function buildExport(workflowId: string, runs: { runId: string; history: HistoryJson; source: RunSource }[]): HistoryExport {
  const out: ExportRun[] = [];
  let previous: string | null = null;
  for (const run of runs) {
    const chained = chainRun(workflowId, run.runId, run.history, previous);
    out.push({ runId: run.runId, history: run.history, historySha256: chained.historySha256, previousSha256: chained.previousSha256, sha256: chained.sha256, source: run.source });
    previous = chained.sha256;
  }
  return { format: EXPORT_FORMAT, workflowId, runs: out, sha256: previous ?? sha256Hex(canonicalJson({ workflowId, runs: [] })) };
}

export interface ExportCheck {
  /** The head recomputed from the histories. */
  computedSha256: string;
  /** Every run's history and link hash recomputed equal to what the export claims, and the head too. */
  hashMatches: boolean;
  /** Runs in order and none missing: each continues the one before, the first starts the case, the last did not continue as new (unless the case is still open). */
  chainComplete: boolean;
  problems: string[];
}

const startedOf = (history: HistoryJson) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string; originalExecutionRunId?: string } | undefined;
const lastEventType = (history: HistoryJson) => String(history.events?.[history.events.length - 1]?.eventType ?? '');

/**
 * Recomputes an export as received. Tampering with any run changes its history hash; reordering,
 * dropping or inserting a run breaks the links (previousSha256, and Temporal's own
 * continuedExecutionRunId in each run's first event).
 */
export function checkExport(exported: HistoryExport): ExportCheck {
  const problems: string[] = [];
  let previous: string | null = null;
  let previousRunId: string | undefined;
  let hashMatches = true;
  let chainComplete = true;
  exported.runs.forEach((run, i) => {
    const chained = chainRun(exported.workflowId, run.runId, run.history, previous);
    if (chained.historySha256 !== run.historySha256?.toLowerCase()) {
      hashMatches = false;
      problems.push(`run ${i + 1} (${run.runId}): its history does not match historySha256`);
    }
    if ((run.previousSha256?.toLowerCase() ?? null) !== previous) {
      hashMatches = false;
      problems.push(`run ${i + 1} (${run.runId}): previousSha256 is not the hash of the run before it`);
    }
    if (chained.sha256 !== run.sha256?.toLowerCase()) {
      hashMatches = false;
      problems.push(`run ${i + 1} (${run.runId}): sha256 does not match its link`);
    }
    const continued = startedOf(run.history)?.continuedExecutionRunId || undefined;
    if (continued !== previousRunId) {
      chainComplete = false;
      problems.push(i === 0
        ? `run 1 (${run.runId}) continues run ${continued}, which is missing: the case's earlier runs were dropped`
        : `run ${i + 1} (${run.runId}) continues ${continued ?? 'nothing'}, not the run before it (${previousRunId}): runs reordered or missing`);
    }
    previous = chained.sha256;
    previousRunId = run.runId;
  });
  const last = exported.runs[exported.runs.length - 1];
  if (!last) {
    chainComplete = false;
    problems.push('the export has no runs');
  } else if (lastEventType(last.history).includes('CONTINUED_AS_NEW')) {
    chainComplete = false;
    problems.push(`the last run (${last.runId}) continued as new: the runs after it are missing`);
  }
  const computedSha256 = previous ?? '';
  if (computedSha256 !== exported.sha256?.toLowerCase()) {
    hashMatches = false;
    problems.push('the export sha256 is not the head of the chain');
  }
  return { computedSha256, hashMatches, chainComplete, problems };
}
