/**
 * Generates the committed replay samples of the technical operations (P7, Art 50–52):
 *   npx tsx scripts/generate-operations-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_operations_samples`, a
 * dev server, a real Worker); each case is started as /v1/operations starts it and driven through its updates.
 * Cases captured (real time: effective instants and windows a few seconds ahead):
 *   securityServerChangeWorkflow-refusedShortNotice      effective in an hour, no emergency: refused (Art 50.2); completed
 *   securityServerChangeWorkflow-emergencyApprovedCurrent effective in 3 s with an emergency reason; VPCP approves; current
 *                                                        at its instant (the durable timer); completed
 *   supportRequestWorkflow-complexResolvedReopenedClosed filed; VPCP announces a completion time (Art 51); a note; resolved;
 *                                                        the agency reopens (round 2); resolved again; the agency closes it
 *   maintenanceWorkflow-emergencyStartedEnded            a 3-second window 3 s ahead, an emergency with its reason: every
 *                                                        agency and bank notified; started and ended at its instants
 *   connectionMonitorWorkflow-outageRecoveredRetired     a local HTTP server probed every second; stopped: 2 failures make
 *                                                        an outage (alerts); started again: recovered (alerts); retired
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { ActorRef } from '../workflows/actors.js';
import {
  announceCompletionUpdate,
  closeSupportRequestUpdate,
  connectionMonitorWorkflowId,
  decideEmergencyChangeUpdate,
  maintenanceQuery,
  maintenanceWorkflowId,
  monitorStateQuery,
  noteSupportRequestUpdate,
  reopenSupportRequestUpdate,
  resolveSupportRequestUpdate,
  retireMonitorUpdate,
  securityServerChangeQuery,
  securityServerChangeWorkflowId,
  supportRequestQuery,
  supportRequestWorkflowId,
  type ConnectionMonitorInput,
  type MaintenanceInput,
  type SecurityServerChangeInput,
  type SupportRequestInput,
} from '../workflows/operations.definitions.js';
import { btp, ensure, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const vpcp: ActorRef = { userId: 'sample-vpcp-operator', role: 'vpcp', agency: 'VPCP' };
const idOf = (kind: string, key: string) => createHash('sha256').update(`${kind}|agency|BTP|${key}`).digest('hex').slice(0, 24);
const fingerprintOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
const start = ({ client, taskQueue }: SampleContext, type: string, workflowId: string, arg: unknown) =>
  client.workflow.start(type, { taskQueue, workflowId, args: [arg], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
const completed = (handle: WorkflowHandle) => until(async () => (await handle.describe()).status.name === 'COMPLETED', `${handle.workflowId} completed`);

runSampleGenerator({
  name: 'operations-replay-samples',
  database: 'dvcqg_operations_samples',
  cases: async (ctx) => [
    await refusedChange(ctx), await emergencyChange(ctx), await supportRequest(ctx), await maintenance(ctx), await monitor(ctx),
  ],
});

function change(key: string, effectiveAt: string, emergencyReason?: string): SecurityServerChangeInput {
  const record = { address: 'ssv.btp.gov.vn:5500', certificateFingerprint: 'AB:CD:EF:01:23:45:67:89', contact: { name: 'Trần Kỹ Thuật', email: 'ktv@btp.gov.vn' } };
  return {
    changeId: idOf('security-server-change', key), agency: 'BTP', serverId: 'ssv-01', record, effectiveAt, requestedBy: btp,
    fingerprint: fingerprintOf({ record, effectiveAt, emergencyReason }), ...(emergencyReason ? { emergencyReason } : {}),
  };
}

async function refusedChange(ctx: SampleContext): Promise<Sample> {
  const input = change('sample-ssc-1', inFromNow(3_600_000));
  const handle = await start(ctx, 'securityServerChangeWorkflow', securityServerChangeWorkflowId(input.changeId), input);
  await completed(handle);
  ensure((await handle.query(securityServerChangeQuery)).status, 'refused', 'short notice refused');
  return { name: 'securityServerChangeWorkflow-refusedShortNotice', handle };
}

async function emergencyChange(ctx: SampleContext): Promise<Sample> {
  const input = change('sample-ssc-2', inFromNow(3_000), 'Chứng thư số bị thu hồi / certificate revoked');
  const handle = await start(ctx, 'securityServerChangeWorkflow', securityServerChangeWorkflowId(input.changeId), input);
  await until(async () => (await handle.query(securityServerChangeQuery)).status === 'awaiting-emergency-decision', 'awaiting the decision');
  await handle.executeUpdate(decideEmergencyChangeUpdate, { args: [{ actor: vpcp, decision: 'approve', reason: 'Sự cố an toàn thông tin / security incident' }] });
  await completed(handle);
  ensure((await handle.query(securityServerChangeQuery)).status, 'current', 'emergency change current');
  return { name: 'securityServerChangeWorkflow-emergencyApprovedCurrent', handle };
}

async function supportRequest(ctx: SampleContext): Promise<Sample> {
  const body = { kind: 'incident' as const, title: 'Mất đồng bộ hồ sơ', description: 'Hồ sơ không về Cổng / dossiers do not reach the Portal' };
  const requestId = idOf('support-request', 'sample-sr-1');
  const input: SupportRequestInput = { requestId, agency: 'BTP', ...body, requestedBy: btp, fingerprint: fingerprintOf(body) };
  const handle = await start(ctx, 'supportRequestWorkflow', supportRequestWorkflowId(requestId), input);
  await until(async () => (await handle.query(supportRequestQuery)).clocks.length === 1, 'the 8 working hours started');
  await handle.executeUpdate(announceCompletionUpdate, { args: [{ actor: vpcp, amount: 2, unit: 'workingDays', reason: 'Cần thay thiết bị / hardware to replace' }] });
  await handle.executeUpdate(noteSupportRequestUpdate, { args: [{ actor: btp, text: 'Đã nhận / noted' }] });
  await handle.executeUpdate(resolveSupportRequestUpdate, { args: [{ actor: vpcp, resolution: 'Đã thay thiết bị / replaced' }] });
  ensure((await handle.executeUpdate(reopenSupportRequestUpdate, { args: [{ actor: btp, reason: 'Vẫn lỗi / still failing' }] })).round, 2, 'reopened');
  await handle.executeUpdate(resolveSupportRequestUpdate, { args: [{ actor: vpcp, resolution: 'Đã đồng bộ lại / resynchronised' }] });
  await handle.executeUpdate(closeSupportRequestUpdate, { args: [{ actor: btp }] });
  await completed(handle);
  return { name: 'supportRequestWorkflow-complexResolvedReopenedClosed', handle };
}

async function maintenance(ctx: SampleContext): Promise<Sample> {
  const windowId = idOf('maintenance', 'sample-mw-1');
  const body = { title: 'Vá lỗ hổng', description: 'Vá lỗ hổng bảo mật / security patch', startsAt: inFromNow(3_000), endsAt: inFromNow(6_000), emergencyReason: 'Lỗ hổng nghiêm trọng / critical vulnerability' };
  const input: MaintenanceInput = { windowId, ...body, announcedBy: vpcp, fingerprint: fingerprintOf(body) };
  const handle = await start(ctx, 'maintenanceWorkflow', maintenanceWorkflowId(windowId), input);
  await completed(handle);
  const view = await handle.query(maintenanceQuery);
  ensure(`${view.status}/${view.emergency}`, 'completed/true', 'emergency window ran');
  return { name: 'maintenanceWorkflow-emergencyStartedEnded', handle };
}

async function monitor(ctx: SampleContext): Promise<Sample> {
  let server: Server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const stop = () => new Promise((r) => {
    server.closeAllConnections();
    server.close(r);
  });
  const config = {
    systemId: 'sample-btp-portal', agency: 'BTP', name: 'Cổng dịch vụ công Bộ Tư pháp', kind: 'ministry-portal' as const, healthUrl: `http://127.0.0.1:${port}/health`,
    admins: [{ name: 'Quản trị', phone: '0912000111', email: 'qt@btp.gov.vn' }], failureThreshold: 2, intervalSeconds: 1, timeoutMs: 500,
  };
  const input: ConnectionMonitorInput = { config, registeredBy: btp, fingerprint: fingerprintOf(config) };
  const handle = await start(ctx, 'connectionMonitorWorkflow', connectionMonitorWorkflowId(config.systemId), input);
  const status = async () => (await handle.query(monitorStateQuery)).status;
  await until(async () => (await status()) === 'up', 'up');
  await stop();
  await until(async () => (await status()) === 'down', 'down');
  server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  await until(async () => (await status()) === 'up', 'recovered');
  await handle.executeUpdate(retireMonitorUpdate, { args: [{ actor: btp, reason: 'Thay hệ thống / replaced' }] });
  await completed(handle);
  await stop();
  return { name: 'connectionMonitorWorkflow-outageRecoveredRetired', handle };
}
