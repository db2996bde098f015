/**
 * The harness of the replay sample generators (scripts/generate-*-replay-samples.ts): each one
 * only drives its cases. It provisions the generator's own database (recreated, dropped at the
 * end) and an in-memory Temporal dev server, runs a real Worker with the real activities on a task
 * queue of its own, lets the generator drive each case exactly as the API does (same start input,
 * search attributes, reuse policy, actors from the token), then writes every run's history as the
 * Temporal CLI itself prints it (`temporal workflow show --output json`), one file per run after
 * continue-as-new (`-run1.json`, `-run2.json`, as scripts/capture-history.ts names them), into
 * argv[2] (default test/replay/histories/).
 * The CLI, not domain/audit/proto-json.ts: under tsx, once @temporalio/worker has loaded
 * @temporalio/proto through require(), `import { temporal } from '@temporalio/proto'` fails ("does
 * not provide an export named 'temporal'"), so that module only loads here if imported first; and
 * the CLI is the reference for the format anyway.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchDatabase, benchTemporal } from '../bench/support.js';
import { dropDatabase, ensureTemporalCli } from './runtime.js';
import type { Database } from '../db/client.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import type { ActorRef } from '../workflows/actors.js';

const NAMESPACE = 'default';

/** Who acts in the samples; their ids end up in the histories, so they never change. */
export const officer = (agency: string, userId: string): ActorRef => ({ userId, role: 'agency', agency });
export const btp = officer('BTP', 'sample-officer-btp');
export const portal: ActorRef = { userId: 'sample-portal', role: 'portal' };

export interface Sample {
  /** `<workflowType>-<case>` */
  name: string;
  handle: WorkflowHandle;
  /** Long-lived: captured while running, then terminated; otherwise it must have completed. */
  running?: boolean;
  /** Runs expected (continue-as-new), when the case is about them. */
  runs?: number;
}

export interface SampleContext {
  client: Client;
  taskQueue: string;
  db: Database;
}

export interface SampleGenerator {
  /** Names the task queue (`<name>-<uuid>`) and the log bindings (`generate-<name>`). */
  name: string;
  /** The generator's own database, recreated and dropped. */
  database: string;
  cases: (ctx: SampleContext) => Promise<Sample[]>;
  outDir?: string;
}

/** The entry point of a generator: runs it, and exits non-zero on failure. */
export function runSampleGenerator(generator: SampleGenerator): void {
  generate(generator).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}

async function generate({ name, database: databaseName, cases, outDir = defaultOutDir() }: SampleGenerator): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const logger = createLogger('warn', { script: `generate-${name}` });
  const database = await benchDatabase(databaseName);
  const server = await benchTemporal();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const taskQueue = `${name}-${randomUUID()}`;
  const { worker, connection: workerConnection } = await createWorker({ address: server.address, namespace: NAMESPACE, taskQueue, deps: { db: database.db, logger } });
  try {
    await worker.runUntil(async () => {
      const samples = await cases({ client, taskQueue, db: database.db });
      await mkdir(outDir, { recursive: true });
      for (const sample of samples) {
        const description = await sample.handle.describe();
        const expected = sample.running ? 'RUNNING' : 'COMPLETED';
        if (description.status.name !== expected) throw new Error(`${sample.name}: unexpected status ${description.status.name}`);
        const runs = historiesOf(server.address, sample.handle.workflowId, description.runId);
        if (sample.runs !== undefined) ensure(runs.length, sample.runs, `${sample.name} runs`);
        for (const [i, history] of runs.entries()) {
          const path = join(outDir, `${sample.name}${runs.length === 1 ? '' : `-run${i + 1}`}.json`);
          const json = `${JSON.stringify(history, null, 2)}\n`;
          await writeFile(path, json);
          process.stdout.write(`${path} (${(json.length / 1024).toFixed(0)} KiB)\n`);
        }
        if (sample.running) await sample.handle.terminate('replay sample captured');
      }
    });
  } finally {
    await workerConnection.close();
    await connection.close();
    await database.close();
    await server.stop();
    await dropDatabase(database.url.replace(/\/[^/]*$/, ''), databaseName);
  }
}

function defaultOutDir(): string {
  return process.argv[2] ?? fileURLToPath(new URL('../test/replay/histories/', import.meta.url));
}

interface HistoryJson {
  events: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string } }[];
}

/** Every run of the case, oldest first, from the latest back through `continuedExecutionRunId`. */
export function historiesOf(address: string, workflowId: string, latestRunId: string): HistoryJson[] {
  const cli = ensureTemporalCli();
  const runs: HistoryJson[] = [];
  for (let runId: string | undefined = latestRunId; runId;) {
    const out = execFileSync(cli, ['workflow', 'show', '--address', address, '--namespace', NAMESPACE, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const history = JSON.parse(out) as HistoryJson;
    runs.unshift(history);
    runId = history.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

export async function until(ok: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the workflow has continued as new into a running run. */
export async function nextRun(handle: WorkflowHandle, previousRunId: string): Promise<void> {
  await until(async () => {
    const d = await handle.describe();
    return d.runId !== previousRunId && d.status.name === 'RUNNING';
  }, `${handle.workflowId} continued as new (lower maxHistoryEvents if not)`);
}

/** The case went the way its sample name says, or no sample is written. */
export function ensure<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}
