import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import type { TthcPublishResult } from './tthc.definitions.js';

const { sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

/** What changed a central TTHC, as the notice names it: a publication decision or an accepted review correction. */
export interface ChangeSource {
  vi: string;
  en: string;
  data: Record<string, unknown>;
}

/**
 * Art 19.1 / 18.2: tell each province what a change of a central TTHC did to its localized copies
 * — repealed with it, or now behind an amended version. Once per copy and workflow (the key).
 */
export async function notifyProvinces(workflowId: string, changes: Pick<TthcPublishResult, 'cascaded' | 'flagged'>, source: ChangeSource): Promise<void> {
  for (const c of changes.cascaded) {
    await sendNotification({
      key: `${workflowId}:cascade-repeal:${c.code}:portal`, workflowId, channel: 'portal', recipient: c.province, template: 'tthc-cascade-repeal',
      subjectVi: `TTHC ${c.centralCode} đã bị bãi bỏ`,
      subject: `TTHC ${c.centralCode} was repealed`,
      bodyVi: `${source.vi} bãi bỏ TTHC ${c.centralCode}; TTHC địa phương hóa ${c.code} đã được tự động bãi bỏ (Điều 19.1).`,
      body: `${source.en} repealed TTHC ${c.centralCode}; the localized TTHC ${c.code} was repealed automatically (Art 19.1).`,
      data: { ...c, ...source.data },
    });
  }
  for (const f of changes.flagged) {
    await sendNotification({
      key: `${workflowId}:central-amended:${f.code}:portal`, workflowId, channel: 'portal', recipient: f.province, template: 'tthc-central-amended',
      subjectVi: `TTHC ${f.centralCode} đã được sửa đổi, bổ sung`,
      subject: `TTHC ${f.centralCode} was amended`,
      bodyVi: `${source.vi} sửa đổi TTHC ${f.centralCode} (phiên bản ${f.centralVersion}); đề nghị cập nhật TTHC địa phương hóa ${f.code} (Điều 18.2).`,
      body: `${source.en} amended TTHC ${f.centralCode} (version ${f.centralVersion}); please update the localized TTHC ${f.code} (Art 18.2).`,
      data: { ...f, ...source.data },
    });
  }
}
