import { historyToJson } from './proto-json.js';
import type { AuditRun } from './timeline.js';

/**
 * File names and contents for sample histories (`test/replay/histories/`): one file per run, in
 * the format of `temporal workflow show --output json`. A case that continued as new gets one
 * file per run: `<base>-run1.json`, `<base>-run2.json`, …
 */
export function historyFiles(file: string, runs: AuditRun[]): { path: string; json: string }[] {
  const base = file.replace(/\.json$/, '');
  return runs.map((run, i) => ({ path: runs.length === 1 ? `${base}.json` : `${base}-run${i + 1}.json`, json: `${JSON.stringify(historyToJson(run.history), null, 2)}\n` }));
}

/** The workflow type a history file was recorded for (from its first event). */
export function workflowTypeOf(history: { events?: unknown[] }): string | undefined {
  const first = history.events?.[0] as { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } } | undefined;
  return first?.workflowExecutionStartedEventAttributes?.workflowType?.name;
}
