/**
 * Prebuilds the worker's workflow code (README "Production topology"): `tsx scripts/bundle-workflows.ts
 * [out]` writes the bundle (default dist/workflow-bundle.js) and its manifest of source hashes beside
 * it. A worker given it as WORKFLOW_BUNDLE_PATH starts polling without bundling, and refuses it if
 * any source it was built from has changed since. The production image runs this at build time.
 */
import { resolve } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { buildWorkflowBundle, manifestPathOf } from '../runtime/workflow-bundle.js';

async function main(): Promise<void> {
  const codePath = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const started = performance.now();
  const manifest = await buildWorkflowBundle(codePath, new DefaultLogger('WARN'));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`workflow bundle ${codePath} (${Object.keys(manifest.files).length} source files in ${manifestPathOf(codePath)}) built in ${seconds} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
