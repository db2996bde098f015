import { DateTime } from 'luxon';
import type { Scope } from '../../../db/queries/sla.js';
import { PROCESS_NAMES, processName } from '../../../domain/processes/names.js';
import { BASELINE_RULE_SET_ID } from '../../../domain/rules/index.js';
import { both, esc, local, page, withToken } from '../audit/html.js';
import { heatmap, stackedBars } from './charts.js';
import { evaluationSection, type DashboardEvaluation } from './dashboard-evaluation.js';

export interface DashboardClock {
  workflowId: string;
  clockKey: string;
  process: string;
  caseAgency: string;
  owner: string;
  article: string;
  /** Null for clocks written before rule sets existed (the 2020 baseline). */
  ruleSetId: string | null;
  stage: string;
  dueAt: Date;
  breachedAt: Date | null;
  completedAt: Date | null;
  completedBy: string | null;
}

export interface DashboardData {
  now: Date;
  scope: Scope;
  /** Agency and bank names by code. */
  names: Map<string, { nameVi: string; name: string }>;
  /** Local weeks (Monday), oldest first: `key` = yyyy-MM-dd. */
  weeks: { key: string; label: string }[];
  /** Local days from today to the due-soon horizon. */
  days: DateTime[];
  until: Date;
  workingDays: number;
  onTime: { owner: string; week: string; met: number; breached: number }[];
  breachWeeks: { process: string; week: string; breaches: number }[];
  due: { day: string; process: string; clocks: number }[];
  latest: DashboardClock[];
  longest: DashboardClock[];
  dueSoonest: DashboardClock[];
  /** The latest published agency evaluation (Art 30.3), if any. */
  evaluation?: DashboardEvaluation;
  links: { token?: string; temporalUi: (workflowId: string) => string; timelines: boolean };
}

const DAY_MS = 86_400_000;
const WEEKDAYS_VI = ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'];

/** Calendar days past the due instant until the step was done (or now), counted up: a breach is at least 1 day late. */
export const daysLate = (clock: Pick<DashboardClock, 'dueAt' | 'completedAt'>, now: Date): number =>
  Math.max(1, Math.ceil(((clock.completedAt ?? now).getTime() - clock.dueAt.getTime()) / DAY_MS));

const percent = (rate: number) => `${Math.round(rate * 100)}%`;

/** Processes in the order of the Regulation, unknown ones after them. */
const processOrder = (a: string, b: string) => {
  const known = Object.keys(PROCESS_NAMES);
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib) || a.localeCompare(b);
};

export function dashboardPage(d: DashboardData): string {
  const name = (code: string) => d.names.get(code);
  const party = (code: string) => (name(code) ? `${name(code)!.nameVi} (${code})` : code);
  const partyCell = (code: string) => {
    const n = name(code);
    return n ? `${both(n.nameVi, n.name)}<code>${esc(code)}</code>` : `<code>${esc(code)}</code>`;
  };
  const processLabel = (p: string) => `${processName(p).vi} / ${processName(p).en}`;

  // On-time rate per owner and week (counted clocks due that week), worst owners first.
  const byOwner = new Map<string, Map<string, { met: number; breached: number }>>();
  for (const r of d.onTime) {
    const weeks = byOwner.get(r.owner) ?? new Map<string, { met: number; breached: number }>();
    const cell = weeks.get(r.week) ?? { met: 0, breached: 0 };
    weeks.set(r.week, { met: cell.met + r.met, breached: cell.breached + r.breached });
    byOwner.set(r.owner, weeks);
  }
  const sum = (cells: Iterable<{ met: number; breached: number }>) => {
    let met = 0;
    let breached = 0;
    for (const c of cells) {
      met += c.met;
      breached += c.breached;
    }
    return { met, breached, rate: met + breached === 0 ? null : met / (met + breached) };
  };
  const owners = [...byOwner.entries()].map(([owner, weeks]) => ({ owner, weeks, total: sum(weeks.values()) }))
    .sort((a, b) => (a.total.rate ?? 1) - (b.total.rate ?? 1) || a.owner.localeCompare(b.owner));
  const cellOf = (owner: string, weekLabel: string, weekKey: string, c: { met: number; breached: number; rate: number | null }) => ({
    rate: c.rate,
    text: c.rate === null ? '—' : percent(c.rate),
    title: `${party(owner)}, ${weekLabel}: ${c.met} đúng hạn / met, ${c.breached} quá hạn / breached`,
    data: { owner, week: weekKey, met: c.met, breached: c.breached, rate: c.rate === null ? '' : Number(c.rate.toFixed(4)) },
  });
  const rateChart = heatmap({
    id: 'on-time-chart',
    caption: 'Tỷ lệ đúng hạn theo cơ quan, theo tuần / On-time rate per agency and week',
    columns: [...d.weeks.map((w) => w.label), '12 tuần'],
    rows: owners.map(({ owner, weeks, total }) => ({
      label: party(owner),
      data: { owner },
      cells: [
        ...d.weeks.map((w) => cellOf(owner, `tuần từ / week of ${w.label}`, w.key, sum([weeks.get(w.key) ?? { met: 0, breached: 0 }]))),
        cellOf(owner, '12 tuần / 12 weeks', 'all', total),
      ],
    })),
  });
  const overall = sum(owners.map((o) => o.total));

  // Counted breaches per week, stacked by process.
  const breachProcesses = [...new Set(d.breachWeeks.map((r) => r.process))].sort(processOrder);
  const breachChart = stackedBars({
    id: 'breaches-chart',
    caption: 'Vi phạm thời hạn theo tuần và quy trình / Breaches per week by process',
    categories: d.weeks.map((w) => ({ key: w.key, label: w.label })),
    series: breachProcesses.map((p) => ({
      key: p,
      label: processLabel(p),
      values: d.weeks.map((w) => d.breachWeeks.filter((r) => r.process === p && r.week === w.key).reduce((n, r) => n + r.breaches, 0)),
    })),
  });
  const breachTotal = d.breachWeeks.reduce((n, r) => n + r.breaches, 0);

  // Open clocks due per local day until the horizon.
  const { days } = d;
  const dueProcesses = [...new Set(d.due.map((r) => r.process))].sort(processOrder);
  const dueChart = stackedBars({
    id: 'due-chart',
    caption: `Thời hạn sắp đến trong ${d.workingDays} ngày làm việc / Open clocks due within ${d.workingDays} working days`,
    categories: days.map((day) => ({ key: day.toISODate()!, label: `${WEEKDAYS_VI[day.weekday - 1]} ${day.toFormat('dd/MM')}` })),
    series: dueProcesses.map((p) => ({
      key: p,
      label: processLabel(p),
      values: days.map((day) => d.due.filter((r) => r.process === p && r.day === day.toISODate()).reduce((n, r) => n + r.clocks, 0)),
    })),
  });
  const dueTotal = d.due.reduce((n, r) => n + r.clocks, 0);

  const caseLinks = (c: DashboardClock) => {
    const timeline = d.links.timelines
      ? `<a href="${esc(withToken(`/v1/audit/workflows/${encodeURIComponent(c.workflowId)}/timeline?format=html`, d.links.token))}">${esc(c.workflowId)}</a>`
      : `<code>${esc(c.workflowId)}</code>`;
    return { timeline, temporal: `<a href="${esc(d.links.temporalUi(c.workflowId))}">Web UI</a>` };
  };
  const clockTable = (id: string, rows: DashboardClock[], kind: 'breach' | 'due') => {
    if (rows.length === 0) return `<p class="muted" id="${id}">Không có / none</p>`;
    const head = [
      both('Hồ sơ', 'Case'), both('Quy trình', 'Process'), both('Bước', 'Step'), both('Cơ quan (hồ sơ)', 'Case agency'),
      both('Trách nhiệm', 'Owner'), both('Hạn', 'Due'),
      ...(kind === 'breach' ? [both('Số ngày trễ', 'Days late'), both('Đã xử lý', 'Done')] : []), 'Temporal',
    ];
    const body = rows.map((c) => {
      const links = caseLinks(c);
      const late = kind === 'breach' ? daysLate(c, d.now) : 0;
      const cells = [
        links.timeline,
        both(processName(c.process).vi, processName(c.process).en),
        `<code>${esc(c.clockKey)}</code> <span class="muted">${esc(c.article)} · ${esc(c.ruleSetId ?? BASELINE_RULE_SET_ID)}</span>`,
        partyCell(c.caseAgency),
        partyCell(c.owner),
        esc(local(c.dueAt)),
        ...(kind === 'breach'
          ? [`<b class="days-late">${late}</b>`, c.completedAt ? `${esc(local(c.completedAt))} — ${esc(c.completedBy ?? '')}` : '<b>Chưa / not yet</b>']
          : []),
        links.temporal,
      ];
      const attrs = ` data-workflow-id="${esc(c.workflowId)}" data-clock="${esc(c.clockKey)}"${kind === 'breach' ? ` data-days-late="${late}"` : ''}`;
      return `<tr class="${kind === 'breach' ? (c.completedAt ? 'late' : 'breach') : ''}"${attrs}>${cells.map((x) => `<td>${x}</td>`).join('')}</tr>`;
    }).join('\n');
    return `<table id="${id}"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>\n${body}</table>`;
  };

  const scopeText = d.scope.agency
    ? both(`Phạm vi: ${party(d.scope.agency)} — hồ sơ của cơ quan và các thời hạn cơ quan chịu trách nhiệm`, `Scope: ${name(d.scope.agency)?.name ?? d.scope.agency} — its cases and the clocks it owns`)
    : d.scope.bank
      ? both(`Phạm vi: ${party(d.scope.bank)} — các thời hạn ngân hàng chịu trách nhiệm`, `Scope: ${name(d.scope.bank)?.name ?? d.scope.bank} — the clocks it owns`)
      : both('Phạm vi: toàn bộ cơ quan, ngân hàng', 'Scope: every agency and bank');
  const summary = `<table id="summary" data-on-time-rate="${overall.rate === null ? '' : overall.rate.toFixed(4)}" data-breaches="${breachTotal}" data-due="${dueTotal}">
<tr><th>${both(`Tỷ lệ đúng hạn ${d.weeks.length} tuần`, `On-time rate, ${d.weeks.length} weeks`)}</th><td>${overall.rate === null ? '—' : percent(overall.rate)} <span class="muted">(${overall.met} / ${overall.met + overall.breached})</span></td>
<th>${both(`Vi phạm ${d.weeks.length} tuần`, `Breaches, ${d.weeks.length} weeks`)}</th><td>${breachTotal}</td>
<th>${both(`Sắp đến hạn (${d.workingDays} ngày làm việc)`, `Due within ${d.workingDays} working days`)}</th><td>${dueTotal}</td></tr></table>`;
  const generated = `<p class="muted">${both(`Cập nhật ${local(d.now)} (giờ Việt Nam); chỉ tính các thời hạn theo quy định, không tính thời hạn chờ công dân hay quy tắc dự án`, `As of ${local(d.now)} (UTC+7); breaches and rates count regulated clocks only, not citizen waits or project rules`)}</p>`;
  return page('Bảng điều khiển giám sát thời hạn', 'SLA supervision dashboard', `<style>svg.chart{max-width:100%;height:auto;display:block;margin:8px 0}td code{display:block;font-size:11px;color:#666}</style>
<p>${scopeText}</p>${generated}${summary}
<h2>${both(`Tỷ lệ đúng hạn theo cơ quan, ${d.weeks.length} tuần gần nhất`, `On-time rate per agency, last ${d.weeks.length} weeks`)}</h2>
<figure id="on-time">${rateChart}</figure>
<h2>${both('Vi phạm thời hạn theo tuần, theo quy trình', 'Breaches per week by process')}</h2>
<figure id="breaches-by-week">${breachChart}</figure>
<h2>${both(`Thời hạn sắp đến trong ${d.workingDays} ngày làm việc, đến ${local(d.until)}`, `Open clocks due within ${d.workingDays} working days, by ${local(d.until)}`)}</h2>
<figure id="due-soon">${dueChart}</figure>
${clockTable('due-table', d.dueSoonest, 'due')}
<h2>${both(`${d.latest.length} vi phạm gần nhất`, `The ${d.latest.length} latest breaches`)}</h2>
${clockTable('latest-breaches', d.latest, 'breach')}
<h2>${both(`${d.longest.length} vi phạm chưa xử lý lâu nhất`, `The ${d.longest.length} longest open breaches (step still not done)`)}</h2>
${clockTable('longest-breaches', d.longest, 'breach')}
${evaluationSection(d.evaluation, partyCell)}`);
}
