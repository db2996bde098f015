import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type Logger } from '@temporalio/worker';
import { workflowsPath } from './worker.js';

/** Paths in a manifest are relative to the project root, so a bundle built in the image's /app checks there too. */
const root = fileURLToPath(new URL('..', import.meta.url));

/** What a prebuilt bundle was built from: every file webpack read for it, with its SHA-256. */
export interface WorkflowBundleManifest {
  workflowsPath: string;
  files: Record<string, string>;
}

export const manifestPathOf = (codePath: string) => `${codePath}.sources.json`;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Bundles the deployed workflow code (`workflows/index.ts`) to `codePath`, with a manifest beside it
 * naming every source file the bundle was built from (ours, `domain/`, the SDK's) and its hash.
 */
export async function buildWorkflowBundle(codePath: string, logger?: Logger): Promise<WorkflowBundleManifest> {
  const read = new Set<string>();
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    ...(logger ? { logger } : {}),
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), {
        apply: (compiler) => compiler.hooks.done.tap('dvcqg-bundle-sources', (stats) => {
          for (const file of stats.compilation.fileDependencies) read.add(file);
        }),
      }],
    }),
  });
  // Files webpack only looked for (a missing package.json on the resolution path) are no source, nor
  // the directories it lists.
  const files = Object.fromEntries([...read].filter((f) => isAbsolute(f) && statSync(f, { throwIfNoEntry: false })?.isFile()).sort().map((f) => [relative(root, f), sha256(f)]));
  const manifest: WorkflowBundleManifest = { workflowsPath: relative(root, workflowsPath), files };
  mkdirSync(dirname(codePath), { recursive: true });
  writeFileSync(codePath, code);
  writeFileSync(manifestPathOf(codePath), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

/**
 * A prebuilt bundle the worker may load: refused (thrown, so the worker does not start) when its
 * manifest is missing or any source it was built from differs from the code deployed beside it —
 * a stale bundle would run other workflow code than the tree's, and a history it wrote would not
 * replay on the code the project reviews (README "Production topology", project rule).
 */
export function verifiedWorkflowBundle(codePath: string): { codePath: string } {
  const manifestPath = manifestPathOf(codePath);
  if (!existsSync(codePath) || !existsSync(manifestPath)) {
    throw new Error(`WORKFLOW_BUNDLE_PATH ${codePath}: the bundle or its manifest ${manifestPath} is missing; build both with scripts/bundle-workflows.ts`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as WorkflowBundleManifest;
  const changed = Object.entries(manifest.files).filter(([file, hash]) => {
    const path = resolve(root, file);
    return !existsSync(path) || sha256(path) !== hash;
  }).map(([file]) => file);
  if (manifest.workflowsPath !== relative(root, workflowsPath) || changed.length > 0 || Object.keys(manifest.files).length === 0) {
    throw new Error(
      `WORKFLOW_BUNDLE_PATH ${codePath} was built from other workflow code than this tree's (${changed.length} source file(s) differ: ${changed.slice(0, 5).join(', ')}); rebuild it with scripts/bundle-workflows.ts`,
    );
  }
  return { codePath };
}
