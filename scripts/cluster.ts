/**
 * The production topology on this machine (README "Production topology (run here)"): the Temporal
 * server built from source on PostgreSQL (scripts/temporal-server.ts), the API and N worker
 * processes against it — each a separate operating-system process, as compose runs them. Used by
 * `npm run start:cluster` (scripts/start-cluster.ts), test/cluster/ and bench/cluster.bench.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, type TLSConfig } from '@temporalio/client';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import { DefaultLogger } from '@temporalio/worker';
import { temporalTls } from '../config/temporal-tls.js';
import { createDatabase } from '../db/client.js';
import { buildWorkflowBundle } from '../runtime/workflow-bundle.js';
import { migrateAndSeed } from '../db/migrate.js';
import { dropDatabase, ensureDatabase, ensurePostgres, freePort, waitForPort } from './runtime.js';
import { setupNamespace, setupTemporalSchemas, startTemporalServer, type TemporalServer } from './temporal-server.js';

const { temporal } = proto;
const root = dirname(dirname(fileURLToPath(import.meta.url)));

export interface ClusterOptions {
  /** The application database; Temporal's are `databases.persistence` and `databases.visibility`. */
  databases: { app: string; persistence: string; visibility: string };
  workers: number;
  /** Logs (one file per process unless `inheritOutput`) and the archive directory go here. */
  dir: string;
  temporalPort?: number;
  apiPort?: number;
  /** The children write to this terminal (npm run start:cluster) rather than to files under `dir`. */
  inheritOutput?: boolean;
  /** Environment of the API and the workers on top of the cluster's own (addresses, database, keys). */
  env?: Record<string, string>;
  retentionDays?: number;
  /** mTLS everywhere, as compose: certificates in the layout of scripts/temporal-certs.sh (one per holder). */
  tlsDir?: string;
}

export interface ClusterProcess {
  name: string;
  pid: number;
  /** The Temporal identity the process polls with (the SDK's default, `<pid>@<host>`). */
  identity: string;
  logFile: string | undefined;
  /** Its Prometheus metrics (the SDK's for a worker, the API's own for the API). */
  metricsUrl: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export interface Cluster {
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  archiveDir: string;
  /** The environment the API and workers run with (a client of this cluster uses the same keys). */
  env: Record<string, string>;
  /** A client's TLS options (the operators' `admin` certificate) when the cluster runs mTLS. */
  clientTls: TLSConfig | undefined;
  server: TemporalServer;
  api: ClusterProcess;
  workers: ClusterProcess[];
  /** Starts one more worker process and waits until it polls. */
  addWorker(): Promise<ClusterProcess>;
  /** Stops the API, the workers and the server (SIGTERM: in-flight tasks drain). */
  stop(): Promise<void>;
  /** stop(), then drops the run's three databases (tests). */
  destroy(): Promise<void>;
}

/** A fresh payload key for a throw-away cluster (tests, benchmarks): `<id>:<base64 of 32 bytes>`. */
export function ephemeralPayloadKeys(): string {
  return `cluster-${process.pid}:${randomBytes(32).toString('base64')}`;
}

/** The PostgreSQL server the cluster's databases live on: DATABASE_URL's, else the local one. */
async function postgresBaseUrl(): Promise<string> {
  return process.env.DATABASE_URL ? process.env.DATABASE_URL.replace(/\/[^/]*$/, '') : (await ensurePostgres()).baseUrl;
}

/** Drops a throw-away cluster's databases (also after a start that failed half-way). */
export async function dropClusterDatabases(databases: ClusterOptions['databases']): Promise<void> {
  const baseUrl = await postgresBaseUrl();
  for (const name of Object.values(databases)) await dropDatabase(baseUrl, name);
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  mkdirSync(options.dir, { recursive: true });
  const baseUrl = await postgresBaseUrl();
  const archiveDir = join(options.dir, 'archive');
  await setupTemporalSchemas(baseUrl, options.databases);
  const server = await startTemporalServer({
    baseUrl, databases: options.databases, archiveDir, logFile: join(options.dir, 'temporal-server.log'), port: options.temporalPort, tlsDir: options.tlsDir,
  });
  // Each process presents its own certificate (README "Trust boundary around Temporal").
  const tlsOf = (holder: string): Record<string, string> =>
    options.tlsDir
      ? {
        TEMPORAL_TLS_CA: join(options.tlsDir, 'ca.crt'), TEMPORAL_TLS_SERVER_NAME: 'temporal',
        TEMPORAL_TLS_CERT: join(options.tlsDir, `${holder}.crt`), TEMPORAL_TLS_KEY: join(options.tlsDir, `${holder}.key`),
      }
      : {};
  const clientTls = temporalTls(tlsOf('admin'));
  const children: ClusterProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(async (c) => {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
      await c.exited;
    }));
    await server.stop();
  };
  try {
    const retentionDays = options.retentionDays ?? 14;
    await setupNamespace(server, { namespace: 'default', retentionDays, archiveDir });

    const databaseUrl = await ensureDatabase(baseUrl, options.databases.app);
    const database = createDatabase(databaseUrl, { max: 1 });
    await migrateAndSeed(database.db);
    await database.close();

    // The workflow code bundled once, as the production image ships it (README "Production topology"):
    // every worker, also one added or restarted later, loads it instead of bundling (15–22 s) itself.
    const workflowBundlePath = join(options.dir, 'workflow-bundle.js');
    await buildWorkflowBundle(workflowBundlePath, new DefaultLogger('WARN'));

    const apiPort = options.apiPort ?? (await freePort());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const env: Record<string, string> = {
      // The local profile, as npm start: loopback only, the development token secret allowed.
      NODE_ENV: 'development',
      DVCQG_PROFILE: 'local',
      TEMPORAL_PAYLOAD_KEYS: ephemeralPayloadKeys(),
      WORKFLOW_BUNDLE_PATH: workflowBundlePath,
      ...options.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_RETENTION_DAYS: String(retentionDays),
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      PUBLIC_BASE_URL: apiUrl,
    };
    const taskQueue = env.TASK_QUEUE ?? 'dvcqg';
    const connection = await Connection.connect({ address: server.address, tls: clientTls });
    let workerCount = 0;
    const spawnProcess = async (name: string, entry: string, holder: string, metricsKey: string): Promise<ClusterProcess> => {
      const logFile = options.inheritOutput ? undefined : join(options.dir, `${name}.log`);
      const out = logFile ? openSync(logFile, 'a') : 'inherit';
      // Processes on one host: each its own metrics listener.
      const metrics = `127.0.0.1:${await freePort()}`;
      // One process per role: node with tsx's loader (the tsx CLI would put a second process in between).
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
        cwd: root, stdio: ['ignore', out, out], env: { ...process.env, ...env, ...tlsOf(holder), [metricsKey]: metrics },
      });
      if (!child.pid) throw new Error(`${name} did not start`);
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
        process.off('exit', killOnExit);
        resolve(code);
      }));
      const started: ClusterProcess = { name, pid: child.pid, identity: `${child.pid}@${hostname()}`, logFile, metricsUrl: `http://${metrics}/metrics`, child, exited };
      children.push(started);
      return started;
    };
    const addWorker = async () => {
      const worker = await spawnProcess(`worker-${++workerCount}`, 'worker.ts', 'worker', 'TEMPORAL_METRICS_ADDRESS');
      await Promise.race([
        waitForPoller(connection, taskQueue, worker.identity),
        worker.exited.then((code) => Promise.reject(new Error(`${worker.name} exited with code ${code} during start${tailOf(worker.logFile)}`))),
      ]);
      return worker;
    };
    try {
      // Started together (each loads the bundle), then waited for.
      const workers = await Promise.all(Array.from({ length: options.workers }, () => addWorker()));
      const api = await spawnProcess('api', 'server.ts', 'api', 'METRICS_ADDRESS');
      await Promise.race([
        waitForPort('127.0.0.1', apiPort, 120_000, 'API'),
        api.exited.then((code) => Promise.reject(new Error(`the API exited with code ${code} during start${tailOf(api.logFile)}`))),
      ]);
      const stopAll = async () => {
        await stop();
        await connection.close();
      };
      return {
        apiUrl, temporalAddress: server.address, namespace: 'default', taskQueue, databaseUrl, archiveDir, env, clientTls, server, api, workers, addWorker,
        stop: stopAll,
        async destroy() {
          await stopAll();
          await dropClusterDatabases(options.databases);
        },
      };
    } catch (err) {
      await connection.close();
      throw err;
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The end of a process's log, for an error message. */
function tailOf(logFile: string | undefined): string {
  return logFile ? `; ${logFile} ends:\n${readFileSync(logFile, 'utf8').slice(-3000)}` : '';
}

/** Waits until `identity` polls both the workflow and the activity task queue. */
async function waitForPoller(connection: Connection, taskQueue: string, identity: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  while (Date.now() < deadline) {
    const polling = await Promise.all([TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => {
      const described = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
      return (described.pollers ?? []).some((p) => p.identity === identity);
    }));
    if (polling.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`worker ${identity} did not poll ${taskQueue} within ${timeoutMs} ms`);
}
