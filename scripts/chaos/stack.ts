/**
 * The chaos suite's own stack: PostgreSQL (a private cluster in a temporary directory), a Temporal
 * dev server on a file database, the worker and the API — each a separate OS process on free
 * ports that the suite SIGKILLs and starts again. Nothing here touches the system cluster or the
 * servers other tests use.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { buildWorkflowBundle } from '../../runtime/workflow-bundle.js';
import { ensureTemporalCli, freePort, portOpen, postgresBinDir } from '../runtime.js';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export type PartName = 'postgres' | 'temporal' | 'worker' | 'api';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(message: string): void {
  process.stderr.write(`[chaos] ${message}\n`);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Children of a process, from /proc (PostgreSQL's backends put themselves in their own sessions). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may contain spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

interface ProcessSpec {
  name: PartName;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves once the process serves (port, health check, log line). */
  ready(): Promise<unknown>;
  /** A log line that says the process is up (the worker's), watched on stdout. */
  readyLine?: RegExp;
  /** More processes to SIGKILL with it (PostgreSQL's postmaster and backends). */
  extraPids?(): number[];
}

/**
 * One supervised OS process in its own process group. `kill()` is SIGKILL of the whole group
 * (and `extraPids`); an exit the suite did not cause is a crash, restarted after a second like a
 * process supervisor (systemd `Restart=always`) would.
 */
export class Part {
  readonly name: PartName;
  /** When the process was last up again (ready), as `Date.now()`. */
  upAt = 0;
  crashes = 0;
  kills = 0;
  private child: ChildProcess | undefined;
  private expectedExit = false;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private readonly out: WriteStream;

  constructor(private readonly spec: ProcessSpec, logFile: string) {
    this.name = spec.name;
    this.out = createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until it serves. */
  start(): Promise<void> {
    this.starting ??= this.spawnAndWait().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnAndWait(): Promise<void> {
    const { spec } = this;
    this.expectedExit = false;
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd ?? ROOT, env: spec.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.out.write(`\n=== ${new Date().toISOString()} ${spec.name} started pid ${child.pid}\n`);
    let sawReadyLine = !spec.readyLine;
    const onLine = (line: string) => {
      this.out.write(`${line}\n`);
      if (!sawReadyLine && spec.readyLine?.test(line)) sawReadyLine = true;
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        this.out.write(`=== ${new Date().toISOString()} ${spec.name} exited code ${code} signal ${signal}\n`);
        if (this.child === child) this.child = undefined;
        if (!this.expectedExit && !this.stopping) {
          this.crashes += 1;
          log(`${spec.name} exited on its own (code ${code}, signal ${signal}); restarting in 1 s`);
          setTimeout(() => {
            if (!this.stopping && !this.child) this.start().catch((err: unknown) => log(`${spec.name} restart failed: ${String(err)}`));
          }, 1000).unref();
        }
        reject(new Error(`${spec.name} exited (code ${code}, signal ${signal}) before it was ready`));
      });
    });
    exited.catch(() => undefined);
    const readyLine = until(`${spec.name} log line`, 180_000, async () => (sawReadyLine ? true : undefined));
    await Promise.race([Promise.all([readyLine, spec.ready()]), exited]);
    this.upAt = Date.now();
  }

  /** SIGKILL: the process group, and any extra processes (resolves once they are gone). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.expectedExit = true;
    this.kills += 1;
    const pids = [...(this.spec.extraPids?.() ?? [])];
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await gone;
    await until(`${this.name} processes gone`, 30_000, async () => (pids.every((pid) => !alive(pid)) ? true : undefined));
    this.out.write(`=== ${new Date().toISOString()} ${this.name} SIGKILLed by the chaos suite\n`);
  }

  /** Graceful stop at the end of the run (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child?.pid) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 8000);
      await gone;
      clearTimeout(timer);
    }
    for (const pid of this.spec.extraPids?.() ?? []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

export interface ChaosStack {
  dir: string;
  parts: Record<PartName, Part>;
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** The environment the worker and the API run with (the suite mints its tokens from it). */
  env: Record<string, string>;
  workerLogs(): string[];
  stop(): Promise<void>;
}

/** 40 characters, fixed: the suite's own stack, never a deployment. */
export const CHAOS_JWT_SECRET = 'chaos-suite-secret-0123456789abcdefghijk';

export async function startChaosStack(options: { keep?: boolean; dir?: string } = {}): Promise<ChaosStack> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const asRoot = userInfo().uid === 0;
  const dir = options.dir ?? join(tmpdir(), `dvcqg-chaos-${Date.now()}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const pgDir = join(dir, 'pg');
  mkdirSync(pgDir, { recursive: true });
  const [pgPort, temporalPort, apiPort, apiMetricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];

  // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
  const asPostgres = (cmd: string, args: string[]) => (asRoot ? { command: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { command: cmd, args });
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(pgDir, uid, gid);
  }
  const initdb = asPostgres(join(bin, 'initdb'), ['-D', join(pgDir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initdb.command, initdb.args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: '/' });
  const serverUrl = `postgres://postgres@127.0.0.1:${pgPort}`;
  const databaseUrl = `${serverUrl}/dvcqg`;
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };
  // A process crash loses nothing PostgreSQL acknowledged even with fsync off (the kernel keeps the
  // writes); only a machine crash would, and the suite kills processes, not machines.
  const pg = asPostgres(join(bin, 'postgres'), [
    '-D', join(pgDir, 'data'), '-p', String(pgPort), '-k', pgDir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'log_min_messages=warning',
  ]);
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const taskQueue = 'chaos';
  // The workflow code bundled once for the run, as a deployment would ship it: every worker (re)start
  // loads it instead of bundling again, so a restarted worker polls within a few seconds.
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await buildWorkflowBundle(workflowBundlePath, quietBundler);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'test',
    DVCQG_PROFILE: 'local',
    AUTH_JWT_SECRET: CHAOS_JWT_SECRET,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    LOG_LEVEL: 'info',
    // Many simulated officers, banks and portals share a handful of tokens: no per-token limit here.
    RATE_LIMIT_PER_TOKEN: '1000000',
    RATE_LIMIT_PER_ADDRESS: '1000000',
    // Short enough that some actions are answered 202 (and polled) while a worker is down.
    UPDATE_WAIT_MS: '5000',
    // Its own metrics ports, never the defaults another stack on this machine may hold.
    METRICS_ADDRESS: `127.0.0.1:${apiMetricsPort}`,
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
  };
  const node = (entry: string) => ({ command: process.execPath, args: ['--import', 'tsx', entry], env: { ...env } });

  const parts: Record<PartName, Part> = {
    postgres: new Part({
      name: 'postgres', command: pg.command, args: pg.args, cwd: '/',
      ready: () => until('PostgreSQL', 60_000, async () => {
        const sql = postgres(`${serverUrl}/postgres`, { max: 1, connect_timeout: 2, onnotice: () => undefined });
        try {
          await sql`select 1`;
          return true;
        } finally {
          await sql.end({ timeout: 1 });
        }
      }),
      extraPids: () => {
        const pid = postmasterPid();
        return pid && alive(pid) ? [pid, ...childrenOf(pid)] : [];
      },
    }, join(dir, 'postgres.log')),
    temporal: new Part({
      name: 'temporal',
      command: ensureTemporalCli(),
      args: [
        'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--headless', '--log-level', 'warn',
        '--db-filename', join(dir, 'temporal.sqlite'),
        ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.cliType}`]),
      ],
      ready: () => until('Temporal', 120_000, async () => {
        if (!(await portOpen('127.0.0.1', temporalPort))) return undefined;
        const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 2000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } finally {
          await connection.close();
        }
      }),
    }, join(dir, 'temporal.log')),
    worker: new Part({
      name: 'worker', ...node('worker.ts'),
      // worker.ts logs this once the workflow bundle is built and the Worker created, just before it polls.
      readyLine: /"msg":"worker started"/,
      ready: async () => undefined,
    }, join(dir, 'worker.log')),
    api: new Part({
      name: 'api', ...node('server.ts'), env: { ...env, LOG_LEVEL: 'warn' },
      ready: () => until('API', 120_000, async () => ((await fetch(`${apiUrl}/healthz`)).ok ? true : undefined)),
    }, join(dir, 'api.log')),
  };
  const stop = async () => {
    for (const name of ['api', 'worker', 'temporal', 'postgres'] as const) await parts[name].stop();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  };

  try {
    await parts.postgres.start();
    const admin = postgres(`${serverUrl}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe('CREATE DATABASE dvcqg');
    await admin.end();
    await parts.temporal.start();
    const migrate = spawn(process.execPath, ['--import', 'tsx', 'db/migrate.ts'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const migrated = await new Promise<number | null>((resolve) => migrate.once('exit', resolve));
    if (migrated !== 0) throw new Error(`db/migrate.ts exited with ${migrated}`);
    await Promise.all([parts.worker.start(), parts.api.start()]);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`stack up in ${dir}: PostgreSQL :${pgPort}, Temporal ${temporalAddress}, API ${apiUrl}`);

  return {
    dir, parts, apiUrl, databaseUrl, temporalAddress, taskQueue, env, stop,
    workerLogs: () => [join(dir, 'worker.log')].filter((f) => existsSync(f)),
  };
}

const quietBundler = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m: string) => log(`bundler: ${m}`), error: (m: string) => log(`bundler: ${m}`), log: () => undefined };

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
