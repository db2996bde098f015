/**
 * The chaos suite: drives cases of every process through HTTP against its own stack while it
 * SIGKILLs and restarts the worker (twice per round), the Temporal server, the API and PostgreSQL at
 * random moments, then reads everything back and reports lost acknowledged actions, duplicated
 * side effects, stuck clients and the longest recovery.
 *
 * Pacing: the cases are released in batches, one before each kill and one after the last, so every
 * kill lands while cases are in flight; each kill waits for the previous one's recovery (so each
 * recovery is measured on its own), then a random pause, then SIGKILL, a random restart delay and
 * the restart.
 */
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { Api, StuckError, UnexpectedAnswer } from './client.js';
import { createFakeBankSigner } from '../../test/support/fake-bank.js';
import { CASE_KINDS, CaseContext, drivers, publishDvcttProcedure, publishedAnswers, verifyCase, vpcp, type CaseKind, type CaseRun, type Shared } from './cases.js';
import { findDuplicates, type Duplicate } from './duplicates.js';
import { fetchCaseEvents, movesAgainOf } from './moves.js';
import { findOddities, type Oddity } from './oddities.js';
import { startChaosStack, type ChaosStack, type PartName } from './stack.js';

export interface ChaosOptions {
  cases: number;
  /** Cases in flight at most. */
  concurrency: number;
  /** Rounds of kills (each: worker twice, Temporal, API, PostgreSQL, in random order). */
  rounds: number;
  /** Longest pause between two actions of a case (ms, uniform). */
  thinkMs: number;
  /** A case not at its end state this long after it started is stuck (ms). */
  caseDeadlineMs: number;
  /** Random pause before each kill, once the previous one has recovered (ms). */
  pauseMs: [number, number];
  /** The kills in order, instead of `rounds` shuffled rounds (e.g. to study one part). */
  plan?: PartName[];
  keep?: boolean;
  log?: (line: string) => void;
}

export function chaosOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosOptions {
  const cases = Number(env.CHAOS_CASES ?? 40);
  return {
    cases,
    concurrency: Number(env.CHAOS_CONCURRENCY ?? Math.min(cases, 24)),
    rounds: Number(env.CHAOS_ROUNDS ?? Math.max(1, Math.round(cases / 200))),
    thinkMs: Number(env.CHAOS_THINK_MS ?? 800),
    caseDeadlineMs: Number(env.CHAOS_CASE_DEADLINE_S ?? 300) * 1000,
    pauseMs: [1000, 4000],
    plan: env.CHAOS_PLAN ? (env.CHAOS_PLAN.split(',') as PartName[]) : undefined,
    keep: env.CHAOS_KEEP === '1',
  };
}

export interface KillRecord {
  part: PartName;
  killedAt: number;
  upAt: number;
  inFlight: number;
  /** The issue's figure: longest time from the part being up again to an in-flight case moving again (moves.ts). */
  movesAgainMs: number | undefined;
  /** The case that took longest to move again, and what its first move was. */
  movesAgainSlowest?: string;
  /** Cases in flight with no progress after the part was up (none expected: every case ends). */
  notMoved: string[];
  /** Longest time from the part being up again to an in-flight case's next success (a final 2xx, or the state it waited for): includes the stack's own action latency. */
  recoveryMs: number | undefined;
  /** The case and step that took longest to succeed again. */
  slowest?: string;
  /** That case's attempts from the kill to its success (s after the part was up, step, answer). */
  slowestTrace?: string[];
  notRecovered: string[];
  /** The load average (1 min) when the part was up again. */
  load: number;
}

export interface ChaosReport {
  cases: number;
  byKind: Record<string, number>;
  done: number;
  acknowledged: number;
  lost: { case: string; step: string }[];
  duplicates: Duplicate[];
  stuck: { case: string; reason: string }[];
  appliedButRefused: { case: string; detail: string }[];
  /** Seen by the cases or in the read-back: processes out of step with their own record. */
  oddities: Oddity[];
  kills: KillRecord[];
  /** Longest moves-again over every kill (the issue's ≤ 10 s). */
  longestMovesAgainMs: number | undefined;
  /** Longest next success over every kill. */
  longestRecoveryMs: number | undefined;
  /** Load average (1 min) over the run: lowest and highest sampled. */
  load: [number, number];
  /** Actions (first attempt to final answer) that overlapped no kill and no recovery: the stack's own pace, which every recovery figure includes. */
  calmLatency: { count: number; p50Ms: number; p95Ms: number; maxMs: number } | undefined;
  crashes: Record<PartName, number>;
  client: Api['stats'];
  messagesSent: number;
  outboxRows: number;
  durationMs: number;
  drivingMs: number;
  dir: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The in-flight cases' next moves after `upAt`: the kill's recovery. */
function recoveryOf(kill: Pick<KillRecord, 'upAt' | 'killedAt'>, inFlight: CaseRun[]): Pick<KillRecord, 'recoveryMs' | 'slowest' | 'slowestTrace' | 'notRecovered'> {
  let recoveryMs: number | undefined;
  let slowest: string | undefined;
  let slowestTrace: string[] | undefined;
  const notRecovered: string[] = [];
  for (const c of inFlight) {
    const next = c.moves.find((m) => m.at >= kill.upAt);
    if (!next) {
      notRecovered.push(c.id);
      continue;
    }
    const ms = next.at - Math.max(kill.upAt, next.since);
    if (recoveryMs === undefined || ms > recoveryMs) {
      recoveryMs = ms;
      slowest = `${c.id} ${next.step}`;
      slowestTrace = c.trace.filter((t) => t.at >= kill.killedAt && t.at <= next.at).map((t) => `${((t.at - kill.upAt) / 1000).toFixed(1)} s ${t.step} ${t.answer}`);
    }
  }
  return { recoveryMs, slowest, slowestTrace, notRecovered };
}

/** Latencies of acknowledged actions away from every kill (from the SIGKILL to the end of its recovery). */
function calmLatencyOf(cases: CaseRun[], kills: KillRecord[]): ChaosReport['calmLatency'] {
  const windows = kills.map((k) => [k.killedAt, k.upAt + Math.max(k.recoveryMs ?? 0, k.movesAgainMs ?? 0)] as const);
  const latencies: number[] = [];
  for (const c of cases) {
    const acked = new Set(c.acks.map((a) => a.step));
    for (const m of c.moves) {
      if (!acked.has(m.step) || windows.some(([from, to]) => m.since <= to && m.at >= from)) continue;
      latencies.push(m.at - m.since);
    }
  }
  if (latencies.length === 0) return undefined;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { count: latencies.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: latencies[latencies.length - 1]! };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[chaos] ${line}\n`));
  const started = Date.now();
  const stack = await startChaosStack({ keep: options.keep });
  // Ctrl-C: the stack's processes are detached (their own process groups), so stop them first.
  const interrupted = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await drive(stack, options, log, started);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stack.stop();
  }
}

async function drive(stack: ChaosStack, options: ChaosOptions, log: (line: string) => void, started: number): Promise<ChaosReport> {
  const api = new Api(stack.apiUrl, stack.env);
  const run = Date.now().toString(36).slice(-6).toUpperCase();
  const kinds: CaseKind[] = Array.from({ length: options.cases }, (_, i) => CASE_KINDS[i % CASE_KINDS.length]!);
  // Each reconciliation case has its own bank, so its day's report pair is its own.
  const paymentBanks = [1, 2, 3].map((n) => `PB${run}${n}`);
  const signers = Object.fromEntries(paymentBanks.map((bank) => [bank, createFakeBankSigner(bank)]));
  const base: Omit<Shared, 'dvcttTthcCode'> = {
    run, api, thinkMs: options.thinkMs, paymentBanks, signers,
    reconciliationBank: (index) => `RB${run}${index}`,
  };
  const banks = [...paymentBanks, ...kinds.flatMap((kind, index) => (kind === 'reconciliation' ? [base.reconciliationBank(index)] : []))];
  // Reference data first (VPCP registers the banks, with the payment banks' receipt certificates), retried like any action.
  for (const code of banks) {
    const body = { name: `Bank ${code}`, nameVi: `Ngân hàng ${code}`, kind: 'bank', ...(signers[code] ? { receiptCertificate: signers[code].certificatePem } : {}) };
    const answer = await api.send(`bank ${code}`, { actor: vpcp, method: 'PUT', path: `/v1/banks/${code}`, body }, Date.now() + 120_000);
    if (answer.status !== 201 && answer.status !== 200) throw new UnexpectedAnswer(`bank ${code}`, answer.status, answer.body);
  }
  const shared: Shared = { ...base, dvcttTthcCode: await publishDvcttProcedure(api, run, Date.now() + 180_000) };

  const cases: CaseRun[] = kinds.map((kind, index) => ({
    id: `${kind}-${run}-${index}`, kind, index, deadline: Number.POSITIVE_INFINITY, acks: [], moves: [], requests: [], appliedButRefused: [], data: {}, trace: [], notes: [],
  }));
  const loads: number[] = [loadavg()[0]!];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 10_000);
  const drivingStarted = Date.now();

  // ── The driver: released cases run, at most `concurrency` at a time. ──
  let released = 0;
  let next = 0;
  let running = 0;
  const runCase = async (c: CaseRun) => {
    c.startedAt = Date.now();
    c.deadline = c.startedAt + options.caseDeadlineMs;
    try {
      await drivers[c.kind](new CaseContext(c, shared));
      c.outcome = 'done';
    } catch (err) {
      c.outcome = 'stuck';
      c.stuckReason = err instanceof StuckError || err instanceof UnexpectedAnswer ? err.message : String((err as Error)?.stack ?? err);
      log(`stuck: ${c.stuckReason}`);
    }
    c.finishedAt = Date.now();
  };
  const pump = () => {
    while (running < options.concurrency && next < released) {
      const c = cases[next++]!;
      running += 1;
      void runCase(c).finally(() => {
        running -= 1;
        pump();
      });
    }
  };
  const release = (upTo: number) => {
    released = Math.min(cases.length, Math.max(released, upTo));
    pump();
  };
  const inFlight = () => cases.filter((c) => c.startedAt !== undefined && c.finishedAt === undefined);
  const allDone = () => cases.every((c) => c.finishedAt !== undefined);

  // ── The monkey. ──
  const plan: PartName[] = options.plan ? [...options.plan] : [];
  if (!options.plan) for (let r = 0; r < options.rounds; r++) plan.push(...shuffled<PartName>(['worker', 'worker', 'temporal', 'api', 'postgres']));
  const batch = cases.length / (plan.length + 1);
  const kills: KillRecord[] = [];
  /** The cases each kill watched, for the moves-again figure read from their histories at the end. */
  const watchedBy: CaseRun[][] = [];
  for (const [j, part] of plan.entries()) {
    release(Math.ceil(batch * (j + 1)));
    await sleep(between(options.pauseMs));
    const victims = inFlight();
    const killedAt = Date.now();
    await stack.parts[part].kill();
    log(`SIGKILL ${part} (${victims.length} cases in flight)`);
    await sleep(between([300, 2000]));
    await stack.parts[part].start();
    const upAt = stack.parts[part].upAt;
    const alsoInFlight = inFlight().filter((c) => !victims.includes(c));
    const watched = [...victims, ...alsoInFlight];
    log(`${part} up again after ${upAt - killedAt} ms`);
    // Wait until every case in flight has moved again (or ended), within the case deadline.
    const waitUntil = Date.now() + options.caseDeadlineMs;
    while (Date.now() < waitUntil && !watched.every((c) => c.finishedAt !== undefined || c.moves.some((m) => m.at >= upAt))) await sleep(100);
    // A case that reached its end before the part was up again was not waiting for it.
    const waiting = watched.filter((c) => c.finishedAt === undefined || c.finishedAt >= upAt);
    const record: KillRecord = { part, killedAt, upAt, inFlight: waiting.length, movesAgainMs: undefined, notMoved: [], load: loadavg()[0]!, ...recoveryOf({ upAt, killedAt }, waiting) };
    kills.push(record);
    watchedBy.push(waiting);
    log(`${part}: next success ${record.recoveryMs ?? '-'} ms (slowest ${record.slowest ?? '-'}: ${record.slowestTrace?.join('; ') ?? ''})${record.notRecovered.length ? `, not recovered: ${record.notRecovered.join(', ')}` : ''}`);
  }
  release(cases.length);
  while (!allDone()) await sleep(250);
  clearInterval(sampler);
  const drivingMs = Date.now() - drivingStarted;
  log(`driving done in ${drivingMs} ms; reading back`);

  // ── Moves again: each kill's cases against their workflows' histories. ──
  const events = await fetchCaseEvents(stack.temporalAddress, [...new Set(watchedBy.flat())]);
  for (const [j, kill] of kills.entries()) {
    for (const c of watchedBy[j]!) {
      const moved = movesAgainOf(c, events.get(c.id) ?? [], kill.upAt);
      if (!moved) kill.notMoved.push(c.id);
      else if (kill.movesAgainMs === undefined || moved.ms > kill.movesAgainMs) {
        kill.movesAgainMs = moved.ms;
        kill.movesAgainSlowest = `${c.id} (${moved.what})`;
      }
    }
  }

  // ── Read back: every part up, the sweeper and projections settled. ──
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => undefined });
  try {
    const published = await publishedAnswers(api);
    const lost: ChaosReport['lost'] = [];
    for (const c of cases) {
      for (const step of await verifyCase(new CaseContext(c, shared), published, sql)) lost.push({ case: c.id, step });
    }
    const { duplicates, sends, outboxKeys } = await findDuplicates(sql, stack.workerLogs());
    const longest = (ms: (number | undefined)[]) => {
      const known = ms.filter((m): m is number => m !== undefined);
      return known.length ? Math.max(...known) : undefined;
    };
    const byKind: Record<string, number> = {};
    for (const c of cases) byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    return {
      cases: cases.length,
      byKind,
      done: cases.filter((c) => c.outcome === 'done').length,
      acknowledged: cases.reduce((n, c) => n + c.acks.length, 0),
      lost,
      duplicates,
      stuck: cases.filter((c) => c.outcome === 'stuck').map((c) => ({ case: c.id, reason: c.stuckReason ?? '' })),
      appliedButRefused: cases.flatMap((c) => c.appliedButRefused.map((detail) => ({ case: c.id, detail }))),
      oddities: [...cases.flatMap((c) => c.notes.map((key) => ({ what: `seen by ${c.id}`, key }))), ...(await findOddities(sql))],
      kills,
      longestMovesAgainMs: longest(kills.map((k) => k.movesAgainMs)),
      longestRecoveryMs: longest(kills.map((k) => k.recoveryMs)),
      load: [Math.min(...loads), Math.max(...loads)],
      calmLatency: calmLatencyOf(cases, kills),
      crashes: Object.fromEntries(Object.values(stack.parts).map((p) => [p.name, p.crashes])) as Record<PartName, number>,
      client: api.stats,
      messagesSent: sends,
      outboxRows: outboxKeys,
      durationMs: Date.now() - started,
      drivingMs,
      dir: stack.dir,
    };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

function summarize(oddities: Oddity[]): string {
  const counts = new Map<string, number>();
  for (const o of oddities) {
    const what = o.what.startsWith('seen by') ? 'seen by the cases' : o.what;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return counts.size ? ` (${[...counts].map(([what, n]) => `${what}: ${n}`).join('; ')})` : '';
}

const s = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function formatReport(r: ChaosReport): string {
  const lines = [
    '',
    '== Chaos suite',
    `  cases driven                         ${r.cases} (${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}); ${r.done} at their end state`,
    `  acknowledged actions                 ${r.acknowledged}`,
    `  acknowledged actions lost            ${r.lost.length}`,
    `  side effects duplicated              ${r.duplicates.length} (messages sent ${r.messagesSent} for ${r.outboxRows} outbox rows)`,
    `  clients stuck                        ${r.stuck.length}`,
    `  longest recovery: moves again        ${s(r.longestMovesAgainMs)}  (${r.kills.map((k) => `${k.part} ${s(k.movesAgainMs)}`).join(', ')})`,
    `  longest recovery: next success       ${s(r.longestRecoveryMs)}  (${r.kills.map((k) => `${k.part} ${s(k.recoveryMs)}`).join(', ')})`,
    `  recovery target (moves again ≤ 10 s)  ${r.longestMovesAgainMs !== undefined && r.longestMovesAgainMs <= 10_000 && r.kills.every((k) => k.notMoved.length === 0) ? 'met' : 'NOT met'}`,
    `  action latency away from kills       ${r.calmLatency ? `p50 ${s(r.calmLatency.p50Ms)}, p95 ${s(r.calmLatency.p95Ms)}, max ${s(r.calmLatency.maxMs)} (${r.calmLatency.count} actions)` : '-'}`,
    `  retried actions refused though applied ${r.appliedButRefused.length}`,
    `  other oddities                       ${r.oddities.length}${summarize(r.oddities)}`,
    `  unplanned process exits              ${Object.entries(r.crashes).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  client retries                       ${r.client.retries} of ${r.client.requests} requests (network ${r.client.networkErrors}, 5xx ${r.client.serverErrors}, busy ${r.client.busy}, 429 ${r.client.rateLimited}, 202 ${r.client.pending202}, Location 404 ${r.client.locationNotFound})`,
    `  time                                 ${s(r.durationMs)} in all, ${s(r.drivingMs)} driving`,
    `  load average (1 min)                 ${r.load[0].toFixed(1)}–${r.load[1].toFixed(1)}`,
  ];
  for (const k of r.kills) {
    lines.push(`    kill ${k.part.padEnd(8)} down ${s(k.upAt - k.killedAt).padStart(7)}  in flight ${String(k.inFlight).padStart(4)}  load ${k.load.toFixed(1).padStart(4)}  moves again ${s(k.movesAgainMs).padStart(6)} (${k.movesAgainSlowest ?? '-'})  next success ${s(k.recoveryMs).padStart(6)} (${k.slowest ?? '-'})${k.notMoved.length ? `  not moved ${k.notMoved.length}` : ''}${k.notRecovered.length ? `  not recovered ${k.notRecovered.length}` : ''}`);
  }
  const slowest = r.kills.reduce<KillRecord | undefined>((a, k) => ((k.recoveryMs ?? 0) > (a?.recoveryMs ?? -1) ? k : a), undefined);
  if (slowest?.slowestTrace?.length) lines.push(`    longest next success: ${slowest.part} kill, ${slowest.slowest}: ${slowest.slowestTrace.join('; ')}`);
  for (const l of r.lost) lines.push(`    LOST ${l.case} ${l.step}`);
  for (const d of r.duplicates) lines.push(`    DUPLICATE ${d.what}: ${d.key} ×${d.count}`);
  for (const st of r.stuck) lines.push(`    STUCK ${st.case}: ${st.reason}`);
  for (const a of r.appliedButRefused) lines.push(`    REFUSED-THOUGH-APPLIED ${a.case}: ${a.detail}`);
  for (const o of r.oddities.slice(0, 30)) lines.push(`    ODD ${o.what}: ${o.key}`);
  if (r.oddities.length > 30) lines.push(`    … ${r.oddities.length - 30} more oddities`);
  return `${lines.join('\n')}\n`;
}
