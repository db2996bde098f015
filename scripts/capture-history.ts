/**
 * Capture a case's history as a replay sample: npx tsx scripts/capture-history.ts <workflowId> <file>
 * e.g. npx tsx scripts/capture-history.ts feedback-123 test/replay/histories/feedbackWorkflow-transferred.json
 * Connects to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (the local dev server by default; TEMPORAL_TLS_*
 * when set) and writes every run of the case (one file per run after continue-as-new), in the format of
 * `temporal workflow show --output json`. The replay suite (test/replay/) picks the files up.
 * Payloads are written decrypted (TEMPORAL_PAYLOAD_KEYS, else the local key of `npm start`), so the
 * suite replays the samples without keys: capture test cases only, never real citizens' data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/index.js';
import { temporalTls } from '../config/temporal-tls.js';
import { payloadCodecsFor } from '../codec/encryption.js';
import { decodeHistory } from '../codec/history.js';
import { existingLocalPayloadKeys } from './local-payload-keys.js';
import { describeCase, loadCaseRuns } from '../api/case-record.js';
import { historyFiles } from '../domain/audit/history-files.js';

async function main(): Promise<void> {
  const [workflowId, file] = process.argv.slice(2);
  if (!workflowId || !file) throw new Error('usage: capture-history.ts <workflowId> <file.json>');
  // A local tool reading only addresses and keys: the local profile unless the environment names another.
  const config = loadConfig({ DVCQG_PROFILE: 'local', ...process.env, TEMPORAL_PAYLOAD_KEYS: process.env.TEMPORAL_PAYLOAD_KEYS ?? existingLocalPayloadKeys() });
  const codecs = payloadCodecsFor(config);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, tls: temporalTls(config) });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const info = await describeCase({ temporal: client }, workflowId);
    if (info.status === 'RUNNING') process.stderr.write(`note: ${workflowId} is still running; its history so far is captured\n`);
    const runs = await loadCaseRuns({ temporal: client }, info);
    const files = historyFiles(file, await Promise.all(runs.map(async (run) => ({ runId: run.runId, history: await decodeHistory(run.proto, codecs) }))));
    await mkdir(dirname(file), { recursive: true });
    for (const { path, json } of files) {
      await writeFile(path, json);
      process.stdout.write(`${path}\n`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
