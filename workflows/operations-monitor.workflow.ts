import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { vietnamDateTime } from '../domain/calendar/local-time.js';
import { probeActivity, shortActivity } from './activity-options.js';
import { ActionGate, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import { ActionLog, hasText, notifyInbox, nowIso, SYSTEM } from './operations.common.js';
import {
  configureMonitorUpdate,
  MONITOR_LIMITS,
  monitorStateQuery,
  retireMonitorUpdate,
  type ConfigureMonitorInput,
  type ConnectionMonitorInput,
  type MonitorState,
  type MonitorView,
} from './operations.definitions.js';

const { projectConnectedSystem, recordOutageStart, recordOutageEnd, activeMaintenanceWindow, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);
const { probeConnectedSystem } = proxyActivities<ReturnType<typeof createActivities>>(probeActivity);

/** Keep the history small: a new run after this many probes (or when Temporal suggests it): about 2,200 events (11 per quiet probe). */
const PROBES_PER_RUN = 200;

/** The workflow sandbox has no URL parser: the API and the probe check URLs fully; this is the scheme guard. */
const HTTP_URL = /^https?:\/\/[^\s/@]+(\/\S*)?$/i;

function checkConfig(i: ConfigureMonitorInput): void {
  if (i.healthUrl !== undefined && !HTTP_URL.test(i.healthUrl)) refuse('Validation', 'configure: healthUrl must be an http(s) URL without credentials');
  for (const key of ['failureThreshold', 'intervalSeconds', 'timeoutMs'] as const) {
    const value = i[key];
    const { min, max } = MONITOR_LIMITS[key];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) refuse('Validation', `configure: ${key} must be a whole number from ${min} to ${max}`);
  }
}

/**
 * Art 52: the connection monitor of one connected system (a ministry/provincial portal or one-stop
 * system). It probes the system's health-check URL every `intervalSeconds`; after `failureThreshold`
 * consecutive failures the outage is recorded (from its first failure) and the system's technical
 * admins are alerted by SMS and e-mail, and the agency in its Portal inbox; the first successful
 * probe ends the outage (its duration recorded) and they are told again. A failure inside an
 * announced maintenance window (Art 51) is not counted and alerts nobody. One long-running workflow
 * per system (its state — the failure count, the open outage — lives here), continued as new
 * every few hundred probes.
 */
export async function connectionMonitorWorkflow(input: ConnectionMonitorInput): Promise<MonitorView> {
  const { workflowId } = workflowInfo();
  const state: MonitorState = input.carried ?? {
    config: input.config, status: 'unknown', consecutiveFailures: 0, probes: 0, outages: 0, actions: [], actionSeq: 0, revision: 0,
  };
  const log = new ActionLog(state);
  const gate = new ActionGate();
  let probesThisRun = 0;
  let woken = false;
  const view = (): MonitorView => ({ ...state, config: { ...state.config, admins: [...state.config.admins] }, actions: [...state.actions], workflowId });

  async function persist(action?: ActionRecord): Promise<void> {
    const { config: c } = state;
    await projectConnectedSystem({
      row: {
        systemId: c.systemId, workflowId, agency: c.agency, name: c.name, kind: c.kind, healthUrl: c.healthUrl, admins: c.admins,
        failureThreshold: c.failureThreshold, intervalSeconds: c.intervalSeconds, timeoutMs: c.timeoutMs, status: state.status,
        consecutiveFailures: state.consecutiveFailures, lastProbeAt: state.lastProbeAt, lastOkAt: state.lastOkAt, lastError: state.lastError,
        revision: state.revision,
      },
      ...(action ? { action } : {}),
    });
  }

  /** Art 52: SMS and e-mail to every technical admin, and the agency's Portal inbox; once per outage and step. */
  async function alert(step: 'down' | 'up', outageId: string, text: { subjectVi: string; subject: string; bodyVi: string; body: string }): Promise<void> {
    const template = `operations.connection.${step}`;
    const data = { systemId: state.config.systemId, outageId };
    for (const [n, admin] of state.config.admins.entries()) {
      for (const channel of ['sms', 'email'] as const) {
        const recipient = channel === 'sms' ? admin.phone : admin.email;
        if (!recipient) continue;
        await sendNotification({ key: `${workflowId}:${outageId}:${step}:${channel}:${n}`, workflowId, channel, recipient, recipientKind: 'agency', template, ...text, data });
      }
    }
    await notifyInbox(state.config.agency, `${outageId}:${step}`, template, text, data);
  }

  setHandler(monitorStateQuery, view);
  setHandler(configureMonitorUpdate, (i) => gate.run('configure', async () => {
    const { actor, ...changes } = i;
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    state.config = { ...state.config, ...defined };
    woken = true;
    await persist(log.note('configure', actor, undefined, { fields: Object.keys(defined) }));
    return view();
  }), {
    validator: (i) => {
      gate.assertFree('configure');
      requireRole(i?.actor, ['agency', 'vpcp'], 'configure a connection monitor');
      if (i.actor.role === 'agency') requireAgency(i.actor, state.config.agency, 'configure a connection monitor');
      if (state.status === 'retired') refuse('InvalidTransition', 'configure: the monitor is retired');
      checkConfig(i);
    },
  });
  setHandler(retireMonitorUpdate, (i) => gate.run('retire', async () => {
    state.status = 'retired';
    woken = true;
    await persist(log.note('retire', i.actor, i.reason));
    return view();
  }), {
    validator: (i) => {
      gate.assertFree('retire');
      requireRole(i?.actor, ['agency', 'vpcp'], 'retire a connection monitor');
      if (i.actor.role === 'agency') requireAgency(i.actor, state.config.agency, 'retire a connection monitor');
      if (state.status === 'retired') refuse('InvalidTransition', 'retire: the monitor is already retired');
      if (state.outage) refuse('InvalidTransition', 'retire: the system is in an outage; retire it once it is back or the outage would never end');
      if (!hasText(i.reason)) refuse('Validation', 'retire: a reason is required');
    },
  });

  if (!input.carried) await persist(log.note('register', input.registeredBy as ActorRef, undefined, { healthUrl: input.config.healthUrl }));

  const retired = () => state.status === 'retired';
  while (!retired()) {
    const result = await probeConnectedSystem({ url: state.config.healthUrl, timeoutMs: state.config.timeoutMs });
    await condition(() => !gate.busy);
    if (retired()) break;
    const at = nowIso();
    const before = { status: state.status, failures: state.consecutiveFailures, silenced: state.silencedAt };
    /** An outage starting or ending writes its own projection. */
    let recorded = false;
    state.probes += 1;
    probesThisRun += 1;
    state.lastProbeAt = at;
    const { config: c } = state;
    if (result.ok) {
      state.lastOkAt = at;
      state.lastError = undefined;
      state.consecutiveFailures = 0;
      state.firstFailureAt = undefined;
      state.silencedAt = undefined;
      state.status = 'up';
      const outage = state.outage;
      if (outage) {
        state.outage = undefined;
        const minutes = Math.round((Date.parse(at) - Date.parse(outage.startedAt)) / 60_000);
        await recordOutageEnd({ outageId: outage.outageId, endedAt: at, failures: before.failures });
        await persist(log.note('recovered', SYSTEM, undefined, { outageId: outage.outageId, minutes }));
        await alert('up', outage.outageId, {
          subjectVi: `Đã khôi phục kết nối: ${c.name}`, subject: `Connection restored: ${c.name}`,
          bodyVi: `${c.name} (${c.agency}) đã kết nối lại với Cổng Dịch vụ công Quốc gia lúc ${vietnamDateTime(at)}; gián đoạn từ ${vietnamDateTime(outage.startedAt)} (khoảng ${minutes} phút).`,
          body: `${c.name} (${c.agency}) is connected to the Portal again at ${vietnamDateTime(at)} (UTC+7); the outage began ${vietnamDateTime(outage.startedAt)} (about ${minutes} minutes).`,
        });
        recorded = true;
      }
    } else {
      state.lastError = result.error ?? `HTTP ${result.status ?? '?'}`;
      // Art 51: inside an announced maintenance window a failure is the Portal's own doing: not counted.
      const maintenance = state.outage ? null : await activeMaintenanceWindow({ at });
      if (maintenance) {
        state.silencedAt = at;
        state.consecutiveFailures = 0;
        state.firstFailureAt = undefined;
      } else {
        state.silencedAt = undefined;
        state.consecutiveFailures += 1;
        state.firstFailureAt ??= at;
        if (!state.outage && state.consecutiveFailures >= c.failureThreshold) {
          const startedAt = state.firstFailureAt;
          const outage = { outageId: `${c.systemId}:${Date.parse(startedAt)}`, startedAt, detectedAt: at };
          state.outage = outage;
          state.outages += 1;
          state.status = 'down';
          await recordOutageStart({ outageId: outage.outageId, systemId: c.systemId, agencyCode: c.agency, startedAt, detectedAt: at, failures: state.consecutiveFailures, lastError: state.lastError });
          await persist(log.note('outage', SYSTEM, state.lastError, { outageId: outage.outageId, failures: state.consecutiveFailures }));
          await alert('down', outage.outageId, {
            subjectVi: `Mất kết nối: ${c.name}`, subject: `Connection lost: ${c.name}`,
            bodyVi: `${c.name} (${c.agency}) mất kết nối với Cổng Dịch vụ công Quốc gia từ ${vietnamDateTime(startedAt)} (${state.consecutiveFailures} lần kiểm tra liên tiếp không thành công: ${state.lastError}).`,
            body: `${c.name} (${c.agency}) lost its connection to the Portal at ${vietnamDateTime(startedAt)} (UTC+7) (${state.consecutiveFailures} consecutive failed checks: ${state.lastError}).`,
          });
          recorded = true;
        }
      }
    }
    // Every probe is in history; the projection is written when what it shows changes.
    if (!recorded && (before.status !== state.status || before.failures !== state.consecutiveFailures || before.silenced !== state.silencedAt)) {
      state.revision += 1;
      await persist();
    }
    if (probesThisRun >= (input.probesPerRun ?? PROBES_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(() => !gate.busy && allHandlersFinished());
      await continueAsNew<typeof connectionMonitorWorkflow>({ ...input, config: state.config, carried: state });
    }
    woken = false;
    await condition(() => woken, state.config.intervalSeconds * 1000);
  }
  await condition(allHandlersFinished);
  return view();
}
