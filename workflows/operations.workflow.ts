import { allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { vietnamDateTime } from '../domain/calendar/local-time.js';
import { periodOf } from '../domain/rules/index.js';
import { batchActivity, shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import { ActionLog, checkNotice, hasText, notifyInbox, nowIso, SYSTEM } from './operations.common.js';
import {
  cancelMaintenanceUpdate,
  decideEmergencyChangeUpdate,
  MAINTENANCE_FINAL,
  maintenanceQuery,
  SECURITY_SERVER_FINAL,
  securityServerChangeQuery,
  withdrawSecurityServerChangeUpdate,
  type MaintenanceInput,
  type MaintenanceStatus,
  type MaintenanceView,
  type SecurityServerChangeInput,
  type SecurityServerChangeStatus,
  type SecurityServerChangeView,
} from './operations.definitions.js';

const { projectSecurityServerChange, applySecurityServerChange, projectMaintenanceWindow } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);
const { notifyMaintenanceParties } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);

const by = (actor: ActorRef) => `${actorCode(actor)}/${actor.userId}`;
const msUntil = (iso: string) => Math.max(0, Date.parse(iso) - Date.now());

/**
 * One change of an agency's security server (Art 50.2): registered at least 3 working days before
 * it takes effect, else refused with that reason — or, when the agency asks, accepted by VPCP as an
 * emergency (recorded as such). At its effective instant (a durable timer) it becomes the server's
 * current version; every version stays in the server's history.
 */
export async function securityServerChangeWorkflow(input: SecurityServerChangeInput): Promise<SecurityServerChangeView> {
  const { workflowId } = workflowInfo();
  const view: SecurityServerChangeView = { ...input, workflowId, status: 'checking', registeredAt: nowIso(), emergency: false, actions: [], actionSeq: 0, revision: 0 };
  const log = new ActionLog(view);
  const gate = new ActionGate();
  const snapshot = (): SecurityServerChangeView => ({ ...view, actions: [...view.actions] });

  async function persist(action?: ActionRecord): Promise<void> {
    await projectSecurityServerChange({
      row: {
        changeId: view.changeId, workflowId, agency: view.agency, serverId: view.serverId, address: view.record.address,
        certificateFingerprint: view.record.certificateFingerprint, contact: view.record.contact, effectiveAt: view.effectiveAt,
        registeredAt: view.registeredAt, noticeDueAt: view.notice?.dueAt, emergency: view.emergency, emergencyReason: view.emergencyReason,
        decidedBy: view.decidedBy, status: view.status, refusedReason: view.refusedReason, revision: view.revision,
      },
      ...(action ? { action } : {}),
    });
  }
  const requireStatus = (action: string, ...allowed: SecurityServerChangeStatus[]) => {
    if (!allowed.includes(view.status)) refuse('InvalidTransition', `${action}: not allowed while the change is ${view.status}`);
  };

  setHandler(securityServerChangeQuery, snapshot);
  setHandler(decideEmergencyChangeUpdate, (i) => gate.run('decideEmergency', async () => {
    const entry = log.note(i.decision === 'approve' ? 'approveEmergency' : 'refuseEmergency', i.actor, i.reason);
    view.decidedBy = by(i.actor);
    if (i.decision === 'approve') {
      view.status = 'scheduled';
      view.emergency = true;
    } else {
      view.status = 'refused';
      view.refusedReason = `VPCP refused the emergency change: ${i.reason}`;
    }
    await persist(entry);
    return snapshot();
  }), {
    validator: (i) => {
      gate.assertFree('decideEmergency');
      requireRole(i?.actor, ['vpcp'], 'decide an emergency security-server change');
      requireStatus('decideEmergency', 'awaiting-emergency-decision');
      if (i.decision !== 'approve' && i.decision !== 'refuse') refuse('Validation', 'decideEmergency: decision must be approve or refuse');
      if (!hasText(i.reason)) refuse('Validation', 'decideEmergency: a reason is required (Art 50.2, emergency change)');
    },
  });
  setHandler(withdrawSecurityServerChangeUpdate, (i) => gate.run('withdraw', async () => {
    const entry = log.note('withdraw', i.actor, i.reason);
    view.status = 'withdrawn';
    await persist(entry);
    return snapshot();
  }), {
    validator: (i) => {
      gate.assertFree('withdraw');
      requireRole(i?.actor, ['agency'], 'withdraw a security-server change');
      requireAgency(i.actor, view.agency, 'withdraw a security-server change');
      requireStatus('withdraw', 'awaiting-emergency-decision', 'scheduled');
      if (!hasText(i.reason)) refuse('Validation', 'withdraw: a reason is required');
    },
  });

  const registered = log.note('register', input.requestedBy, input.emergencyReason, { serverId: input.serverId, effectiveAt: input.effectiveAt });
  const notice = await checkNotice({ ...periodOf(input.ruleSet, 'operations.securityServerNotice'), owner: input.agency, requested: input.effectiveAt });
  view.notice = notice;
  if (notice.sufficient) {
    view.status = 'scheduled';
  } else if (hasText(input.emergencyReason)) {
    view.status = 'awaiting-emergency-decision';
  } else {
    view.status = 'refused';
    view.refusedReason = `Art 50.2: a change of security-server information must be registered at least ${notice.amount} working days before it takes effect; ` +
      `registered ${vietnamDateTime(view.registeredAt)}, it may take effect after ${notice.dueLocal} at the earliest, not ${vietnamDateTime(input.effectiveAt)}`;
  }
  await persist(registered);
  if (view.status === 'awaiting-emergency-decision') {
    await notifyInbox('VPCP', 'emergencyRequested', 'operations.securityServer.emergencyRequested', {
      subjectVi: `Đề nghị thay đổi khẩn cấp máy chủ bảo mật của ${view.agency}`, subject: `Emergency security-server change requested by ${view.agency}`,
      bodyVi: `${view.agency} đề nghị thay đổi máy chủ bảo mật ${view.serverId} có hiệu lực lúc ${vietnamDateTime(view.effectiveAt)}, chưa đủ ${notice.amount} ngày làm việc (Điều 50.2). Lý do: ${view.emergencyReason}`,
      body: `${view.agency} asks for a security-server change of ${view.serverId} effective ${vietnamDateTime(view.effectiveAt)} (UTC+7), with less than ${notice.amount} working days' notice (Art 50.2). Reason: ${view.emergencyReason}`,
    }, { changeId: view.changeId });
    await condition(() => view.status !== 'awaiting-emergency-decision');
  }
  if (view.status === 'scheduled') {
    // The durable timer: wakes at the effective instant, or earlier on a withdrawal.
    await condition(() => view.status !== 'scheduled', msUntil(view.effectiveAt));
    await condition(() => !gate.busy);
  }
  if (view.status === 'scheduled') {
    // The action first, while the change is still scheduled: from here on its status is the history's.
    await persist(log.note('takeEffect', SYSTEM));
    const appliedAt = nowIso();
    const applied = await applySecurityServerChange({ changeId: view.changeId, appliedAt });
    view.status = applied.status;
    view.appliedAt = appliedAt;
    await notifyInbox(view.agency, 'effective', 'operations.securityServer.effective', {
      subjectVi: `Thông tin máy chủ bảo mật ${view.serverId} đã có hiệu lực`, subject: `Security server ${view.serverId}: the new information is in force`,
      bodyVi: `Thông tin máy chủ bảo mật ${view.serverId} (${view.record.address}) có hiệu lực từ ${vietnamDateTime(appliedAt)}${view.emergency ? ' (thay đổi khẩn cấp được VPCP chấp nhận)' : ''}.`,
      body: `Security server ${view.serverId} (${view.record.address}) is in force from ${vietnamDateTime(appliedAt)} (UTC+7)${view.emergency ? ' (emergency change accepted by VPCP)' : ''}.`,
    }, { changeId: view.changeId });
  }
  await condition(allHandlersFinished);
  if (!SECURITY_SERVER_FINAL.includes(view.status)) refuse('InvalidTransition', `security-server change ended while ${view.status}`);
  return snapshot();
}

/**
 * A planned maintenance window (Art 51): announced by VPCP to every connected agency and bank at
 * least 5 working days ahead (a shorter notice only as a flagged emergency with a reason); the
 * window's start and end are recorded at their instants; connection-loss alerts are silenced inside it.
 */
export async function maintenanceWorkflow(input: MaintenanceInput): Promise<MaintenanceView> {
  const { workflowId } = workflowInfo();
  const view: MaintenanceView = { ...input, workflowId, status: 'checking', announcedAt: nowIso(), emergency: false, notified: [], actions: [], actionSeq: 0, revision: 0 };
  const log = new ActionLog(view);
  const gate = new ActionGate();
  const snapshot = (): MaintenanceView => ({ ...view, actions: [...view.actions], notified: [...view.notified] });

  async function persist(action?: ActionRecord): Promise<void> {
    await projectMaintenanceWindow({
      row: {
        windowId: view.windowId, workflowId, title: view.title, description: view.description, startsAt: view.startsAt, endsAt: view.endsAt,
        announcedAt: view.announcedAt, announcedBy: by(view.announcedBy), noticeDueAt: view.notice?.dueAt, emergency: view.emergency,
        emergencyReason: view.emergencyReason, status: view.status, refusedReason: view.refusedReason, startedAt: view.startedAt,
        endedAt: view.endedAt, revision: view.revision,
      },
      ...(action ? { action } : {}),
    });
  }
  async function notifyParties(step: string, template: string, text: { subjectVi: string; subject: string; bodyVi: string; body: string }): Promise<void> {
    const sent = await notifyMaintenanceParties({ workflowId, step, template, ...text, data: { windowId: view.windowId, startsAt: view.startsAt, endsAt: view.endsAt, emergency: view.emergency } });
    view.notified = [...view.notified, { step, ...sent }];
  }
  const span = () => `${vietnamDateTime(view.startsAt)} – ${vietnamDateTime(view.endsAt)}`;
  const finish = async (): Promise<MaintenanceView> => {
    await condition(allHandlersFinished);
    if (!MAINTENANCE_FINAL.includes(view.status)) refuse('InvalidTransition', `maintenance ended while ${view.status}`);
    return snapshot();
  };

  setHandler(maintenanceQuery, snapshot);
  setHandler(cancelMaintenanceUpdate, (i) => gate.run('cancel', async () => {
    const entry = log.note('cancel', i.actor, i.reason);
    if (view.status === 'in-progress') view.endedAt = nowIso();
    view.status = 'cancelled';
    await persist(entry);
    await notifyParties('cancelled', 'operations.maintenance.cancelled', {
      subjectVi: `Hủy bảo trì Cổng Dịch vụ công Quốc gia: ${view.title}`, subject: `Portal maintenance cancelled: ${view.title}`,
      bodyVi: `Lịch bảo trì ${span()} đã được hủy. Lý do: ${i.reason}`, body: `The maintenance window ${span()} (UTC+7) is cancelled. Reason: ${i.reason}`,
    });
    return snapshot();
  }), {
    validator: (i) => {
      gate.assertFree('cancel');
      requireRole(i?.actor, ['vpcp'], 'cancel a maintenance window');
      const allowed: MaintenanceStatus[] = ['announced', 'in-progress'];
      if (!allowed.includes(view.status)) refuse('InvalidTransition', `cancel: not allowed while the window is ${view.status}`);
      if (!hasText(i.reason)) refuse('Validation', 'cancel: a reason is required');
    },
  });

  const announced = log.note('announce', input.announcedBy, input.emergencyReason, { startsAt: input.startsAt, endsAt: input.endsAt });
  const notice = await checkNotice({ ...periodOf(input.ruleSet, 'operations.maintenanceNotice'), owner: 'VPCP', requested: input.startsAt });
  view.notice = notice;
  if (!notice.sufficient && !hasText(input.emergencyReason)) {
    view.status = 'refused';
    view.refusedReason = `Art 51: planned maintenance must be announced at least ${notice.amount} working days ahead; announced ${vietnamDateTime(view.announcedAt)}, ` +
      `a window may start after ${notice.dueLocal} at the earliest, not ${vietnamDateTime(input.startsAt)}. A shorter notice is an emergency: give its reason`;
    await persist(announced);
    return snapshot();
  }
  view.emergency = !notice.sufficient;
  view.status = 'announced';
  await persist(announced);
  await notifyParties('announced', 'operations.maintenance.announced', {
    subjectVi: `${view.emergency ? '[KHẨN CẤP] ' : ''}Thông báo bảo trì Cổng Dịch vụ công Quốc gia: ${view.title}`,
    subject: `${view.emergency ? '[EMERGENCY] ' : ''}Portal maintenance: ${view.title}`,
    bodyVi: `Văn phòng Chính phủ thông báo bảo trì, nâng cấp hệ thống từ ${span()}: ${view.description}${view.emergency ? ` Bảo trì khẩn cấp, thông báo trước dưới ${notice.amount} ngày làm việc. Lý do: ${view.emergencyReason}` : ''}`,
    body: `The Government Office announces system maintenance ${span()} (UTC+7): ${view.description}${view.emergency ? ` Emergency maintenance with less than ${notice.amount} working days' notice. Reason: ${view.emergencyReason}` : ''}`,
  });

  // The window's start and end, at their instants (durable timers), unless VPCP cancels it.
  if (await condition(() => view.status === 'cancelled', msUntil(view.startsAt))) return finish();
  await condition(() => !gate.busy);
  if (view.status === 'announced') {
    view.status = 'in-progress';
    view.startedAt = nowIso();
    await persist(log.note('start', SYSTEM));
  }
  if (await condition(() => view.status === 'cancelled', msUntil(view.endsAt))) return finish();
  await condition(() => !gate.busy);
  if (view.status === 'in-progress') {
    view.status = 'completed';
    view.endedAt = nowIso();
    await persist(log.note('end', SYSTEM));
  }
  return finish();
}
