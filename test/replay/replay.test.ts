import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJson } from '../../domain/audit/proto-json.js';
import { workflowTypeOf } from '../../domain/audit/history-files.js';
import * as deployed from '../../workflows/index.js';
import { workflowsPath } from '../../runtime/worker.js';

/**
 * Replay regression suite: every committed sample history (test/replay/histories/<workflowType>-<case>.json,
 * captured with scripts/capture-history.ts) is replayed against the current workflow code. A change
 * that would not reproduce the decisions recorded for a running case fails here: guard it with
 * patched()/deprecatePatch(), or ship it as a new workflow type (README, "Audit and supervision").
 */
const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
/** Workflow types that are test fixtures rather than deployed processes, and the code they replay against. */
const fixtureCode: Record<string, string> = {
  slaFixtureWorkflow: fixture('sla-fixture.workflow.ts'),
  auditCaseWorkflow: fixture('audit-case.workflow.ts'),
};

/**
 * Project rule: a deployed workflow type without a committed sample history is a visible debt.
 * Process owners remove their type from this list in the change that adds its first sample.
 */
const AWAITING_SAMPLES: string[] = [];

const samples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((file) => {
  const json = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { events: unknown[] };
  return { file, type: workflowTypeOf(json) ?? '?', history: historyFromJson(json) };
});
const types = [...new Set(samples.map((s) => s.type))];

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const bundles = new Map<string, Promise<WorkflowBundle>>();
const bundleOf = (path: string) => {
  if (!bundles.has(path)) bundles.set(path, bundleWorkflowCode({ workflowsPath: path, logger: quiet }));
  return bundles.get(path) as Promise<WorkflowBundle>;
};

async function replayAll(workflowsPathOfCode: string, histories: typeof samples) {
  const results: { file: string; error?: Error }[] = [];
  let i = 0;
  const replay = Worker.runReplayHistories(
    { workflowBundle: await bundleOf(workflowsPathOfCode), replayName: 'replay-suite' },
    histories.map((h) => ({ workflowId: h.file, history: h.history })),
  );
  for await (const result of replay) results.push({ file: histories[i++]?.file ?? result.workflowId, error: result.error });
  return results;
}

describe('replay regression: committed histories replay against the current code', () => {
  it('every sample is named <workflowType>-<case>.json after the type it recorded', () => {
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.file.startsWith(`${s.type}-`), s.file).toBe(true);
  });

  it('every deployed workflow type has at least one committed sample history (or is listed as awaiting one)', () => {
    const deployedTypes = Object.keys(deployed).filter((name) => name.endsWith('Workflow'));
    const missing = deployedTypes.filter((name) => !types.includes(name) && !AWAITING_SAMPLES.includes(name));
    expect(missing, `capture one with scripts/capture-history.ts: ${missing.join(', ')}`).toEqual([]);
    const stale = AWAITING_SAMPLES.filter((name) => types.includes(name) || !deployedTypes.includes(name));
    expect(stale, 'remove these from AWAITING_SAMPLES').toEqual([]);
  });

  it.each(types)('%s: every committed history replays without a determinism violation', async (type) => {
    const results = await replayAll(fixtureCode[type] ?? workflowsPath, samples.filter((s) => s.type === type));
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error?.message}`)).toEqual([]);
  }, 120_000);

  it('an incompatible change (a new timer before the first step) is detected as a determinism violation', async () => {
    const changed = fixture('audit-changed.workflow.ts');
    const histories = samples.filter((s) => s.type === 'slaFixtureWorkflow' || s.type === 'diagnosticWorkflow');
    expect(histories.length).toBeGreaterThanOrEqual(2);
    const results = await replayAll(changed, histories);
    expect(results).toHaveLength(histories.length);
    for (const r of results) {
      expect(r.error, r.file).toBeInstanceOf(DeterminismViolationError);
      expect(r.error?.message).toMatch(/nondetermin/i);
    }
  }, 120_000);
});
