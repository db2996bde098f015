import { epochDay } from './dates.js';
import type { DayInfo, DeadlineUnit } from './types.js';

// One-line English / Vietnamese summaries of a deadline computation.

interface SummaryInput {
  unit: DeadlineUnit;
  amount: number;
  eventDate: string;
  eventLocal: string;
  dueLocal: string;
  dueDate: string;
  countedDays: string[];
  skipped: { date: string; reasons: DayInfo['reasons'] }[];
}

/** Short labels per reason code, so a run of skipped days reads "(weekend, Tết)". */
const SHORT_LABELS: Readonly<Record<string, [en: string, vi: string]>> = {
  weekend: ['weekend', 'nghỉ hằng tuần'],
  compensation: ['compensation day', 'nghỉ bù'],
  newYear: ["New Year's Day", 'Tết Dương lịch'],
  tet: ['Tết', 'Tết Âm lịch'],
  hungKings: ["Hùng Kings' Day", 'Giỗ Tổ Hùng Vương'],
  victoryDay: ['Victory Day 30/4', 'Ngày Chiến thắng 30/4'],
  labourDay: ['Labour Day 1/5', 'Quốc tế lao động 1/5'],
  nationalDay: ['National Day', 'Quốc khánh'],
  nationalDayAdjacent: ['National Day', 'Quốc khánh'],
};

function label(reason: DayInfo['reasons'][number], lang: 0 | 1): string {
  // Official days off carry their own name from the decision (e.g. "Nghỉ Tết Nguyên đán").
  return SHORT_LABELS[reason.code]?.[lang] ?? (lang === 0 ? reason.en : reason.vi);
}

/** Groups consecutive skipped dates: "2026-02-14..2026-02-22 (weekend, Tết)". */
function describeSkipped(skipped: SummaryInput['skipped'], lang: 0 | 1): string {
  const runs: { from: string; to: string; labels: Set<string> }[] = [];
  for (const s of skipped) {
    const text = s.reasons[0] ? label(s.reasons[0], lang) : '';
    const last = runs[runs.length - 1];
    if (last && epochDay(s.date) - epochDay(last.to) === 1) {
      last.to = s.date;
      last.labels.add(text);
    } else {
      runs.push({ from: s.date, to: s.date, labels: new Set([text]) });
    }
  }
  if (runs.length === 0) return lang === 0 ? 'no rest days skipped' : 'không có ngày nghỉ';
  const list = runs
    .map((r) => `${r.from === r.to ? r.from : `${r.from}..${r.to}`} (${[...r.labels].join(', ')})`)
    .join('; ');
  return lang === 0 ? `skipped ${list}` : `bỏ qua ${list}`;
}

export function summarize(s: SummaryInput): { summary: string; summaryVi: string } {
  const en = describeSkipped(s.skipped, 0);
  const vi = describeSkipped(s.skipped, 1);
  const n = s.amount;
  switch (s.unit) {
    case 'workingDays':
      return {
        summary: `${n} working day(s) after event day ${s.eventDate}: due at the end of ${s.dueDate}; ${en}`,
        summaryVi: `${n} ngày làm việc kể từ ngày tiếp theo ngày ${s.eventDate}: hết hạn vào cuối ngày ${s.dueDate}; ${vi}`,
      };
    case 'settlementDay':
      return {
        summary: `T+${n} with T = ${s.eventDate}: due at the end of interbank working day ${s.dueDate}; ${en}`,
        summaryVi: `T+${n} với T = ${s.eventDate}: hết hạn vào cuối ngày làm việc liên ngân hàng ${s.dueDate}; ${vi}`,
      };
    case 'calendarDays': {
      const last = s.countedDays[s.countedDays.length - 1];
      const rolled = last !== s.dueDate;
      return {
        summary:
          `${n} calendar day(s) after event day ${s.eventDate}: day ${n} is ${last}` +
          (rolled ? `, a rest day, so due at the end of the next working day ${s.dueDate}; ${en}` : `, due at its end`),
        summaryVi:
          `${n} ngày kể từ ngày tiếp theo ngày ${s.eventDate}: ngày thứ ${n} là ${last}` +
          (rolled ? `, là ngày nghỉ nên hết hạn vào cuối ngày làm việc tiếp theo ${s.dueDate}; ${vi}` : `, hết hạn vào cuối ngày đó`),
      };
    }
    case 'hours':
      return {
        summary: `${n} hour(s) from ${s.eventLocal}, rest days included: due ${s.dueLocal}`,
        summaryVi: `${n} giờ kể từ ${s.eventLocal}, tính cả ngày nghỉ: hết hạn lúc ${s.dueLocal}`,
      };
    case 'workingHours':
      return {
        summary: `${n} working hour(s) from ${s.eventLocal}: counting starts on ${s.countedDays[0]}, due ${s.dueLocal}; ${en}`,
        summaryVi: `${n} giờ làm việc kể từ ${s.eventLocal}: bắt đầu tính từ ngày ${s.countedDays[0]}, hết hạn lúc ${s.dueLocal}; ${vi}`,
      };
  }
}
