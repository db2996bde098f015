/**
 * The Temporal server of the production topology, run here (README "Production topology (run
 * here)"): built from the Go module proxy and cached, its PostgreSQL schemas set up with its own
 * schema tool, started with config/temporal-server/postgres.yaml (the file compose mounts too), and
 * the namespace created with explicit retention, archival and the project's search attributes.
 * Used by scripts/cluster.ts (npm run start:cluster, the cluster test, the cluster benchmark).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { CACHE_DIR, ensureDatabase, ensureTemporalCli, waitForPort } from './runtime.js';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const TEMPORAL_SERVER_CONFIG_DIR = join(root, 'config', 'temporal-server');
const GO_BIN = join(CACHE_DIR, 'go-bin');

function log(message: string): void {
  process.stderr.write(`[temporal-server] ${message}\n`);
}

function reportsVersion(binary: string): boolean {
  if (!existsSync(binary)) return false;
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && `${r.stdout}${r.stderr}`.includes(TEMPORAL_SERVER_VERSION);
}

/**
 * `temporal-server` and `temporal-sql-tool` of TEMPORAL_SERVER_VERSION (the names of Temporal's
 * images), cached under ~/.cache/dvcqg/go-bin; built with `go install` (about 3 minutes on two
 * idle cores) only when a cached binary is missing or reports another version. One build at a
 * time on the machine: a second caller (another test file, `npm run start:cluster`) waits for it.
 */
export async function ensureTemporalServer(): Promise<{ server: string; sqlTool: string }> {
  const server = join(GO_BIN, 'temporal-server');
  const sqlTool = join(GO_BIN, 'temporal-sql-tool');
  if (reportsVersion(server) && reportsVersion(sqlTool)) return { server, sqlTool };
  mkdirSync(GO_BIN, { recursive: true });
  const lock = join(GO_BIN, 'build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A build that died long ago leaves its lock: no build takes half an hour.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 2000));
      if (reportsVersion(server) && reportsVersion(sqlTool)) return { server, sqlTool };
    }
  }
  const gobin = mkdtempSync(join(GO_BIN, 'build-'));
  try {
    const packages = ['cmd/server', 'cmd/tools/sql'].map((p) => `go.temporal.io/server/${p}@v${TEMPORAL_SERVER_VERSION}`);
    log(`go install ${packages.join(' ')} (several minutes, once)`);
    const started = Date.now();
    execFileSync('go', ['install', ...packages], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOBIN: gobin } });
    renameSync(join(gobin, 'server'), server);
    renameSync(join(gobin, 'sql'), sqlTool);
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
  if (!reportsVersion(server)) throw new Error(`${server} does not report version ${TEMPORAL_SERVER_VERSION}`);
  return { server, sqlTool };
}

/** Where the server's PostgreSQL is, and as whom it connects. */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function postgresTargetOf(baseUrl: string): PostgresTarget {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/**
 * Creates the persistence and visibility databases when missing and brings their schemas to the
 * binary's version with its own tool (versioning tables, then every versioned step from the schema
 * embedded in the tool) — what compose's schema job runs. Idempotent: a current schema is left as is.
 */
export async function setupTemporalSchemas(baseUrl: string, databases: { persistence: string; visibility: string }): Promise<void> {
  const { sqlTool } = await ensureTemporalServer();
  const pg = postgresTargetOf(baseUrl);
  for (const [database, schema] of [[databases.persistence, 'temporal'], [databases.visibility, 'visibility']] as const) {
    await ensureDatabase(baseUrl, database);
    const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--pw', pg.password, '--db', database];
    sqlToolRun(sqlTool, [...base, 'setup-schema', '-v', '0.0']);
    sqlToolRun(sqlTool, [...base, 'update-schema', '--schema-name', `postgresql/v12/${schema}`]);
  }
  log(`schemas of ${databases.persistence} and ${databases.visibility} are current`);
}

/** The tool logs every step at debug level on stderr: shown only when it fails. */
function sqlToolRun(sqlTool: string, args: string[]): void {
  const r = spawnSync(sqlTool, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.filter((a, i) => args[i - 1] !== '--pw').join(' ')} failed:\n${r.stderr}${r.stdout}`);
}

export interface TemporalServerOptions {
  baseUrl: string;
  databases: { persistence: string; visibility: string };
  /** History and visibility archives (filestore) go under this directory. */
  archiveDir: string;
  logFile: string;
  /** The frontend's port (a free one when not given); the server's other ports are always free ones. */
  port?: number;
  numHistoryShards?: number;
  /**
   * mTLS as in compose (README "Trust boundary around Temporal"): a directory in the layout of
   * scripts/temporal-certs.sh; the server presents `temporal.crt` (name `temporal`) and requires a
   * client certificate of `ca.crt`; the operator calls here use `admin.crt`.
   */
  tlsDir?: string;
}

/** How an operator tool reaches the frontend: its address and, with mTLS, the certificates. */
export interface TemporalEndpoint {
  address: string;
  tlsDir?: string | undefined;
}

export interface TemporalServer extends TemporalEndpoint {
  archiveDir: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The server's mTLS settings, under the names compose gives them (temporal-docker-compose.yml). */
function serverTlsEnv(dir: string): Record<string, string> {
  return {
    TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT: join(dir, 'ca.crt'),
    TEMPORAL_TLS_SERVER_CERT: join(dir, 'temporal.crt'),
    TEMPORAL_TLS_SERVER_KEY: join(dir, 'temporal.key'),
    TEMPORAL_TLS_FRONTEND_CERT: join(dir, 'temporal.crt'),
    TEMPORAL_TLS_FRONTEND_KEY: join(dir, 'temporal.key'),
    TEMPORAL_TLS_CLIENT1_CA_CERT: join(dir, 'ca.crt'),
    TEMPORAL_TLS_INTERNODE_SERVER_NAME: 'temporal',
    TEMPORAL_TLS_FRONTEND_SERVER_NAME: 'temporal',
  };
}

/**
 * Starts `temporal-server` (frontend, history, matching and worker services in one process) on
 * loopback with config/temporal-server/postgres.yaml, and waits until the frontend serves.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const { server } = await ensureTemporalServer();
  const pg = postgresTargetOf(options.baseUrl);
  const port = options.port ?? (await serverPort());
  const ports: Record<string, number> = { FRONTEND_GRPC_PORT: port };
  for (const name of ['FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT',
    'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT']) ports[name] = await serverPort();
  mkdirSync(options.archiveDir, { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    BIND_ON_IP: '127.0.0.1',
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    DBNAME: options.databases.persistence,
    VISIBILITY_DBNAME: options.databases.visibility,
    NUM_HISTORY_SHARDS: String(options.numHistoryShards ?? 4),
    TEMPORAL_ARCHIVE_DIR: options.archiveDir,
    // Each of the four services has its own pools (up to 4 × 20 + 4 × 10 connections at the
    // template's production defaults); here they share one PostgreSQL (max_connections 100) with the
    // application and the tests.
    SQL_MAX_CONNS: '5',
    SQL_VIS_MAX_CONNS: '2',
    DYNAMIC_CONFIG_FILE_PATH: join(TEMPORAL_SERVER_CONFIG_DIR, 'dynamicconfig', 'postgres.yaml'),
    LOG_LEVEL: 'warn',
    ...(options.tlsDir ? serverTlsEnv(options.tlsDir) : {}),
  };
  const out = openSync(options.logFile, 'a');
  // No authorizer (README "Trust boundary around Temporal"): said explicitly, as the server asks.
  const child = spawn(server, ['--root', root, '--config', 'config/temporal-server', '--env', 'postgres', '--allow-no-auth', 'start'], {
    stdio: ['ignore', out, out], env,
  });
  // A caller that dies (an uncaught error, the end of a test run) takes the server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const endpoint: TemporalEndpoint = { address: `127.0.0.1:${port}`, tlsDir: options.tlsDir };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal-server exited with code ${code} during start; see ${options.logFile}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForServing(endpoint, 120_000), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`temporal-server ${TEMPORAL_SERVER_VERSION} pid ${child.pid} serving on ${endpoint.address}${options.tlsDir ? ' (mTLS)' : ''} (PostgreSQL ${options.databases.persistence}, ${options.databases.visibility})`);
  return { ...endpoint, archiveDir: options.archiveDir, pid: child.pid, stop };
}

/**
 * A free port below 32768: the server records its services' ports in PostgreSQL as `smallint`
 * (cluster_membership.rpc_port), so the kernel's ephemeral ports (32768 and up) do not fit.
 */
async function serverPort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const candidate = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

/** The Temporal CLI against `endpoint`, as the operator (the admin certificate with mTLS). */
function temporal(endpoint: TemporalEndpoint, args: string[], options: { allowFailure?: boolean } = {}): { ok: boolean; stdout: string; stderr: string } {
  const { address, tlsDir } = endpoint;
  const tls = tlsDir
    ? ['--tls-ca-path', join(tlsDir, 'ca.crt'), '--tls-cert-path', join(tlsDir, 'admin.crt'), '--tls-key-path', join(tlsDir, 'admin.key'), '--tls-server-name', 'temporal']
    : [];
  const r = spawnSync(ensureTemporalCli(), [...args, '--address', address, ...tls], { encoding: 'utf8' });
  const result = { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (!result.ok && !options.allowFailure) throw new Error(`temporal ${args.join(' ')} failed: ${result.stderr.trim() || result.stdout.trim()}`);
  return result;
}

async function waitForServing(endpoint: TemporalEndpoint, timeoutMs: number): Promise<void> {
  const [host, port] = endpoint.address.split(':') as [string, string];
  await waitForPort(host, Number(port), timeoutMs, 'temporal-server frontend');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (temporal(endpoint, ['operator', 'cluster', 'health'], { allowFailure: true }).stdout.includes('SERVING')) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`temporal-server at ${endpoint.address} did not report SERVING within ${timeoutMs} ms`);
}

/**
 * The namespace as the topology wants it (README "What is kept, where, for how long"): closed runs
 * retained `retentionDays`, history and visibility archival on (filestore under `archiveDir`), and
 * the project's search attributes registered. Creates or updates, so it may run on every start.
 */
export async function setupNamespace(endpoint: TemporalEndpoint, options: { namespace: string; retentionDays: number; archiveDir: string }): Promise<void> {
  const { namespace, retentionDays, archiveDir } = options;
  const { address } = endpoint;
  const common = ['--namespace', namespace];
  const exists = temporal(endpoint, ['operator', 'namespace', 'describe', ...common], { allowFailure: true }).ok;
  temporal(endpoint, [
    'operator', 'namespace', exists ? 'update' : 'create', ...common,
    '--retention', `${retentionDays * 24}h`,
    '--history-archival-state', 'enabled', '--history-uri', `file://${archiveDir}/history`,
    '--visibility-archival-state', 'enabled', '--visibility-uri', `file://${archiveDir}/visibility`,
  ]);
  // The frontend reads namespaces (and their search attributes) through a cache refreshed every
  // few seconds: wait until it knows the namespace, register what is missing, then wait until a
  // visibility query naming every attribute is accepted (starts validate them the same way).
  const deadline = Date.now() + 60_000;
  const wait = async (what: string) => {
    if (Date.now() > deadline) throw new Error(`namespace ${namespace} at ${address}: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  };
  let listed = temporal(endpoint, ['operator', 'search-attribute', 'list', ...common, '--output', 'json'], { allowFailure: true });
  while (!listed.ok) {
    await wait(`not found after create (${listed.stderr.trim()})`);
    listed = temporal(endpoint, ['operator', 'search-attribute', 'list', ...common, '--output', 'json'], { allowFailure: true });
  }
  const missing = SEARCH_ATTRIBUTES.filter((a) => !listed.stdout.includes(`"${a.name}"`));
  if (missing.length > 0) temporal(endpoint, ['operator', 'search-attribute', 'create', ...common, ...missing.flatMap((a) => ['--name', a.name, '--type', a.cliType])]);
  const query = SEARCH_ATTRIBUTES.map((a) => `${a.name} ${({ Bool: '= true', Datetime: "> '2000-01-01T00:00:00Z'" } as Record<string, string>)[a.cliType] ?? "= 'x'"}`).join(' AND ');
  for (;;) {
    const probe = temporal(endpoint, ['workflow', 'list', ...common, '--query', query, '--limit', '1'], { allowFailure: true });
    if (probe.ok) break;
    await wait(`search attributes not usable (${probe.stderr.trim()})`);
  }
  log(`namespace ${namespace}: retention ${retentionDays} days, archival to file://${archiveDir}, search attributes ${SEARCH_ATTRIBUTES.map((a) => a.name).join(', ')}`);
}
