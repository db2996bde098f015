import type { FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import type { Timeline, TimelineEntry } from '../../../domain/audit/timeline.js';
import { VN_ZONE } from '../../../domain/calendar/index.js';
import type { CaseInfo } from '../../case-record.js';

/** Server-rendered pages (no build step): Vietnamese first, English alongside. */

export const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export const local = (iso: string | Date | null | undefined): string => {
  if (!iso) return '';
  const dt = typeof iso === 'string' ? DateTime.fromISO(iso) : DateTime.fromJSDate(iso);
  return dt.setZone(VN_ZONE).toFormat('dd/MM/yyyy HH:mm');
};

/** The pages link to no other origin's resources, run no script, and leak nothing (view tokens) through Referer. */
export function sendHtml(reply: FastifyReply, html: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(html);
}

/** The case in Temporal's Web UI. */
export const temporalUiUrl = (config: { TEMPORAL_UI_URL: string; TEMPORAL_NAMESPACE: string }, workflowId: string): string =>
  `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;

/** Links between the pages carry the view token, so one click opens the next page. */
export interface PageLinks {
  token?: string;
  temporalUi: (workflowId: string) => string;
}

export const withToken = (path: string, token?: string): string => (token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path);

const style = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.en{color:#666;font-size:12px;display:block}
tr.breach td{background:#fde8e8}tr.late td{background:#fff4e0}tr.met td{background:#eaf7ea}tr.minor td{color:#888}
code{font-size:12px}.muted{color:#888}`;

export function page(titleVi: string, title: string, body: string): string {
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>${esc(titleVi)} / ${esc(title)}</title><style>${style}</style></head>
<body><h1>${esc(titleVi)}<span class="en">${esc(title)}</span></h1>${body}</body></html>`;
}

export const both = (vi: string, en: string) => `${esc(vi)}<span class="en">${esc(en)}</span>`;

const actorText = (e: TimelineEntry): string =>
  e.actor ? `${esc(e.actor.userId)}${e.actor.role ? ` <span class="muted">(${esc(e.actor.role)}${e.actor.agency ? `, ${esc(e.actor.agency)}` : ''}${e.actor.bank ? `, ${esc(e.actor.bank)}` : ''}${e.actor.permission ? `; ${esc(e.actor.permission)}` : ''})</span>` : ''}` : '';

function entryDetail(e: TimelineEntry): string {
  const c = e.clock;
  if (c) {
    const parts = [
      c.step ? both(c.stepVi ?? c.step, c.step) : '',
      c.owner ? `Trách nhiệm / owner: <b>${esc(c.owner)}</b>` : '',
      c.dueAt ? `Hạn / due: <b>${esc(local(c.dueAt))}</b> (${esc(c.dueAt)})` : '',
      c.previousDueAt ? `Hạn trước / previous due: ${esc(local(c.previousDueAt))}` : '',
      c.calendarVersion !== undefined ? `Lịch phiên bản / calendar version: ${esc(c.calendarVersion)}` : '',
      c.ruleSetId ? `Bộ quy tắc / rule set: ${esc(c.ruleSetId)}` : '',
      c.rule ? `Quy tắc / rule: ${esc(c.rule)}` : '',
      c.explanationVi || c.explanation ? both(c.explanationVi ?? '', c.explanation ?? '') : '',
      c.breachedAt ? `Quá hạn lúc / breached at: <b>${esc(local(c.breachedAt))}</b>` : '',
      c.completedAt ? `Hoàn thành / done: ${esc(local(c.completedAt))} — ${esc(c.completedBy ?? '')}` : '',
      c.cancelReason ? `Lý do / reason: ${esc(c.cancelReason)}` : '',
    ];
    return parts.filter(Boolean).join('<br>');
  }
  if (e.update) {
    const u = e.update;
    const outcome = u.status === 'failed' ? `<b>Lỗi / failed</b>: ${esc(u.failure?.message)}` : u.status === 'completed' ? 'Đã thực hiện / completed' : 'Đang thực hiện / in progress';
    const args = e.data?.args as unknown[] | undefined;
    const note = args?.map((a) => (a && typeof a === 'object' && 'note' in a ? (a as { note?: unknown }).note : undefined)).find(Boolean);
    return `${outcome}${u.completedAt ? ` — ${esc(local(u.completedAt))}` : ''}${note ? `<br>Ghi chú / note: ${esc(note)}` : ''}`;
  }
  if (e.notification) return `${esc(e.notification.channel)} → ${esc(e.notification.recipient)} <span class="muted">(${esc(e.notification.template)})</span>`;
  if (e.kind === 'timer') return `${esc(e.data?.outcome)}`;
  return '';
}

const rowClass = (e: TimelineEntry): string =>
  e.kind === 'clock.breached' ? 'breach' : e.kind === 'clock.completedLate' ? 'late' : e.kind === 'clock.met' ? 'met' : e.kind === 'timer' || e.kind === 'stage' ? 'minor' : '';

export function timelinePage(info: CaseInfo, timeline: Timeline, links: PageLinks): string {
  const breaches = timeline.clocks.filter((c) => c.outcome === 'breached');
  const summary = `<table>
<tr><th>${both('Mã hồ sơ', 'Case id')}</th><td><code>${esc(info.workflowId)}</code></td></tr>
<tr><th>${both('Quy trình', 'Process')}</th><td>${esc(info.process ?? timeline.workflowType)} <span class="muted">(${esc(timeline.workflowType)})</span></td></tr>
<tr><th>${both('Cơ quan', 'Agency')}</th><td>${esc(info.agency ?? '—')}</td></tr>
<tr><th>${both('Trạng thái', 'Status')}</th><td>${esc(info.status)}</td></tr>
<tr><th>${both('Lượt chạy', 'Runs')}</th><td>${timeline.runs.map((r) => `<code>${esc(r.runId)}</code> ${esc(local(r.startedAt))} → ${esc(r.closedAs)}`).join('<br>')}</td></tr>
<tr><th>${both('Vi phạm thời hạn', 'Breaches')}</th><td>${breaches.length === 0 ? 'Không / none' : breaches.map((c) => `<b>${esc(c.key)}</b> (${esc(c.article)}) — ${esc(c.owner)}, hạn / due ${esc(local(c.dueAt))}`).join('<br>')}</td></tr>
<tr><th>Temporal Web UI</th><td><a href="${esc(links.temporalUi(info.workflowId))}">${esc(links.temporalUi(info.workflowId))}</a></td></tr>
</table>`;
  const clocks = `<table><tr><th>${both('Thời hạn', 'Clock')}</th><th>${both('Điều', 'Article')}</th><th>${both('Trách nhiệm', 'Owner')}</th><th>${both('Bắt đầu', 'Started')}</th><th>${both('Hạn', 'Due')}</th><th>${both('Lịch', 'Calendar')}</th><th>${both('Kết quả', 'Outcome')}</th><th>${both('Hoàn thành', 'Done')}</th></tr>
${timeline.clocks.map((c) => `<tr class="${c.outcome === 'breached' ? 'breach' : c.outcome === 'met' ? 'met' : ''}"><td><code>${esc(c.key)}</code> ${c.step ? both(c.stepVi ?? '', c.step) : ''}</td><td>${esc(c.article)}</td><td>${esc(c.owner)}</td><td>${esc(local(c.startedAt))}</td><td>${esc(local(c.dueAt))}</td><td>v${esc(c.calendarVersion)}</td><td>${esc(c.outcome)}</td><td>${esc(local(c.completedAt))} ${esc(c.completedBy ?? '')}</td></tr>`).join('\n')}
</table>`;
  const entries = `<table><tr><th>#</th><th>${both('Thời điểm', 'Time (UTC+7)')}</th><th>${both('Sự kiện', 'Event')}</th><th>${both('Người thực hiện', 'Actor')}</th><th>${both('Chi tiết', 'Detail')}</th></tr>
${timeline.entries.map((e) => `<tr class="${rowClass(e)}" id="e${e.seq}"><td>${e.seq}</td><td>${esc(local(e.at))}</td><td>${both(e.titleVi, e.title)}</td><td>${actorText(e)}</td><td>${entryDetail(e)}</td></tr>`).join('\n')}
</table>`;
  return page(`Diễn biến hồ sơ ${info.workflowId}`, `Case timeline ${info.workflowId}`, `${summary}
<h2>${both('Các thời hạn', 'SLA clocks')}</h2>${clocks}
<h2>${both('Diễn biến', 'Timeline')}</h2>${entries}`);
}

export interface SupervisionRow {
  workflowId: string;
  clockKey: string;
  process: string;
  caseAgency: string;
  owner: string;
  article: string;
  stage: string;
  dueAt: Date;
  breachedAt: Date | null;
  completedAt: Date | null;
  completedBy: string | null;
}

function grouped(rows: SupervisionRow[], links: PageLinks, kind: 'breach' | 'due'): string {
  if (rows.length === 0) return `<p class="muted">Không có / none</p>`;
  const groups = new Map<string, SupervisionRow[]>();
  for (const row of rows) {
    const key = `${row.caseAgency}\u0000${row.process}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, items]) => {
    const [agency, process] = key.split('\u0000');
    return `<h3>${both(`Cơ quan ${agency} — quy trình ${process}`, `Agency ${agency} — process ${process}`)} (${items.length})</h3>
<table><tr><th>${both('Hồ sơ', 'Case')}</th><th>${both('Bước', 'Step')}</th><th>${both('Điều', 'Article')}</th><th>${both('Trách nhiệm', 'Owner')}</th><th>${both('Hạn', 'Due')}</th>${kind === 'breach' ? `<th>${both('Đã xử lý', 'Done')}</th>` : ''}<th>Temporal</th></tr>
${items.map((r) => `<tr class="${kind === 'breach' ? (r.completedAt ? 'late' : 'breach') : ''}"><td><a href="${esc(withToken(`/v1/audit/workflows/${encodeURIComponent(r.workflowId)}/timeline?format=html`, links.token))}">${esc(r.workflowId)}</a></td><td>${esc(r.clockKey)} <span class="muted">(${esc(r.stage)})</span></td><td>${esc(r.article)}</td><td>${esc(r.owner)}</td><td>${esc(local(r.dueAt))}</td>${kind === 'breach' ? `<td>${r.completedAt ? `${esc(local(r.completedAt))} — ${esc(r.completedBy ?? '')}` : '<b>Chưa / not yet</b>'}</td>` : ''}<td><a href="${esc(links.temporalUi(r.workflowId))}">Web UI</a></td></tr>`).join('\n')}
</table>`;
  }).join('\n');
}

export function supervisorPage(input: { breaches: SupervisionRow[]; breachTotal: number; due: SupervisionRow[]; dueTotal: number; until: Date; workingDays: number; scope?: string }, links: PageLinks): string {
  const scope = input.scope ? `<p>${both(`Phạm vi: cơ quan ${input.scope}`, `Scope: agency ${input.scope}`)}</p>` : '';
  return page('Giám sát thời hạn xử lý', 'SLA supervision', `${scope}
<h2>${both(`Vi phạm thời hạn (${input.breachTotal})`, `Breaches (${input.breachTotal})`)}</h2>${grouped(input.breaches, links, 'breach')}
<h2>${both(`Sắp đến hạn trong ${input.workingDays} ngày làm việc, đến ${local(input.until)} (${input.dueTotal})`, `Due within ${input.workingDays} working days, by ${local(input.until)} (${input.dueTotal})`)}</h2>${grouped(input.due, links, 'due')}`);
}
