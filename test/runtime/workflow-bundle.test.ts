import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../../domain/audit/proto-json.js';
import { buildWorkflowBundle, manifestPathOf, verifiedWorkflowBundle, type WorkflowBundleManifest } from '../../runtime/workflow-bundle.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** The production image prebuilds the workflow bundle (scripts/bundle-workflows.ts); the worker loads it only if it matches the tree. */
describe('the prebuilt workflow bundle (WORKFLOW_BUNDLE_PATH)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-bundle-'));
  const codePath = join(dir, 'workflow-bundle.js');
  let manifest: WorkflowBundleManifest;

  beforeAll(async () => {
    manifest = await buildWorkflowBundle(codePath, quiet);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records every source it was built from: the workflows, the domain rules they import, the SDK', () => {
    const files = Object.keys(manifest.files);
    expect(files).toContain('workflows/index.ts');
    expect(files).toContain('workflows/refund.workflow.ts');
    expect(files).toContain('domain/payments/refund.ts');
    expect(files.some((f) => f.startsWith('node_modules/@temporalio/workflow/'))).toBe(true);
    for (const hash of Object.values(manifest.files)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('project rule: the bundle built from this tree loads in a worker — a committed refund history (Art 34.6) replays on it', async () => {
    const json: unknown = JSON.parse(readFileSync(fileURLToPath(new URL('../replay/histories/refundWorkflow-bankFaultRefunded.json', import.meta.url)), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: verifiedWorkflowBundle(codePath), replayName: 'prebuilt-bundle' }, historyFromJson(json));
  }, 60_000);

  it('project rule: a bundle whose sources changed since it was built is refused, naming the file; so is one without its manifest', () => {
    const stale = join(dir, 'stale.js');
    writeFileSync(stale, readFileSync(codePath));
    writeFileSync(manifestPathOf(stale), JSON.stringify({ ...manifest, files: { ...manifest.files, 'workflows/refund.workflow.ts': '0'.repeat(64) } }));
    expect(() => verifiedWorkflowBundle(stale)).toThrow(/other workflow code.*workflows\/refund\.workflow\.ts/);
    rmSync(manifestPathOf(stale));
    expect(() => verifiedWorkflowBundle(stale)).toThrow(/manifest .* is missing/);
  });
});
