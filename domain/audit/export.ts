import { createHash } from 'node:crypto';
import { historyToJson } from './proto-json.js';
import type { AuditRun } from './timeline.js';

export const EXPORT_FORMAT = 'dvcqg-history-export/1';

/** One run's history exactly as `temporal workflow show --output json` writes it (proto3 JSON). */
export type HistoryJson = { events: Record<string, unknown>[] };

export interface HistoryExport {
  format: typeof EXPORT_FORMAT;
  workflowId: string;
  runs: { runId: string; history: HistoryJson }[];
  /** Hex SHA-256 of `canonicalExportBytes` (the export without this field, compact JSON). */
  sha256: string;
}

/**
 * The bytes the hash covers: compact JSON of `{format, workflowId, runs:[{runId, history}]}` in
 * that key order, the history objects as exported. Offline, the same bytes come from
 *   jq -cj '{format, workflowId, runs: [.runs[] | {runId, history}]}' export.json | sha256sum
 */
export function canonicalExportBytes(content: Omit<HistoryExport, 'sha256'>): string {
  return JSON.stringify({
    format: content.format,
    workflowId: content.workflowId,
    runs: content.runs.map((run) => ({ runId: run.runId, history: run.history })),
  });
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function buildExport(workflowId: string, runs: AuditRun[]): HistoryExport {
  const content = {
    format: EXPORT_FORMAT,
    workflowId,
    runs: runs.map((run) => ({ runId: run.runId, history: historyToJson(run.history) })),
  } as const;
  return { ...content, sha256: sha256Hex(canonicalExportBytes(content)) };
}

/** Recomputes the hash of an export as received: any change to its content changes the hash. */
export function checkExport(exported: HistoryExport): { computedSha256: string; hashMatches: boolean } {
  const computedSha256 = sha256Hex(canonicalExportBytes(exported));
  return { computedSha256, hashMatches: computedSha256 === exported.sha256.toLowerCase() };
}
