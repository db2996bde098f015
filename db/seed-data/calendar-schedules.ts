/**
 * Official holiday schedules for cán bộ, công chức, viên chức (civil servants) on a Monday–Friday week,
 * for 2025 and 2026.
 *
 * What is listed: each official day off that falls on a weekday, whether a statutory holiday (Bộ luật
 * Lao động 2019, Art. 112(1)), a Tết weekday or a swapped day (hoán đổi / nghỉ bù). Each official
 * make-up working Saturday (ngày làm bù) is listed too. Saturdays and Sundays inside a holiday span are
 * not listed.
 *
 * Legal background
 * - Art. 112(1) Labour Code 2019: 11 paid holidays per year: 1/1 (1 day), Tết Âm lịch (5 days),
 *   Giỗ Tổ Hùng Vương 10/3 âm lịch (1 day), 30/4 (1 day), 1/5 (1 day), 2/9 plus 1 adjacent day before or
 *   after (2 days).
 * - Art. 111(3): if a holiday falls on the weekly rest day, the next working day is given off (nghỉ bù).
 * - Each year the ministry in charge of labour decides the Tết span, the 2/9 adjacent day and any swaps,
 *   after the Prime Minister approves. That ministry was Bộ LĐTBXH up to 28/02/2025 and Bộ Nội vụ from
 *   01/03/2025.
 *
 * Extra days off checked for 2025–2026: none found.
 * - 2/9/2025 (80th anniversary) and 30/4/2025 (50th anniversary): no extra day off. The 2/9/2025 span
 *   was the normal Sat 30/8 – Tue 2/9. The State gave a gift of 100,000 VND per person instead of a
 *   holiday.
 * - 24/11 "Ngày Văn hóa Việt Nam": the Politburo (Nghị quyết 80-NQ/TW) decided it should become a paid
 *   holiday. As of late February 2026 (Nghị quyết 30/NQ-CP, reported 26/02/2026) this was only a task to
 *   amend Art. 112(1) of the Labour Code. It is NOT yet a legal day off, so it is not listed. Add it once
 *   the amended Labour Code is in force.
 *
 * The sources read are news reports of the official documents (thuvienphapluat.vn, vietbao.vn,
 * thanhnien.vn, kienthuc.net.vn, tienphong.vn, baohiemxahoi.gov.vn, vietnamplus via tracuuquyhoach.com).
 * Primary document texts were not available offline.
 */
export interface OfficialScheduleEntry {
  /** YYYY-MM-DD (Asia/Ho_Chi_Minh calendar date). */
  date: string;
  kind: 'dayOff' | 'workingDay';
  name: string;
  nameVi: string;
  source: string;
}

export interface OfficialYearSchedule {
  year: number;
  /** True only if confirmed from a source actually read. */
  confirmed: boolean;
  sourceNote: string;
  entries: OfficialScheduleEntry[];
}

const BLLD = 'Bộ luật Lao động 2019, Điều 112 khoản 1';
const BLLD_NGHI_BU = 'Bộ luật Lao động 2019, Điều 111 khoản 3 (nghỉ bù khi ngày lễ trùng ngày nghỉ hằng tuần)';

// 2025: Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024 (Bộ LĐTBXH), issued after the PM approved it in
// văn bản 8726/VPCP-KGVX ngày 26/11/2024.
const TB_6150 = 'Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024 (Bộ LĐTBXH); Thủ tướng đồng ý tại 8726/VPCP-KGVX ngày 26/11/2024';

// 2026: Thông báo số 9441 ngày 16/10/2025 (Bộ Nội vụ), issued after the PM approved it in a VPCP letter
// dated 13/10/2025. The VPCP letter number was not found.
const TB_9441 = 'Thông báo số 9441 ngày 16/10/2025 (Bộ Nội vụ); Thủ tướng đồng ý qua văn bản VPCP ngày 13/10/2025';
// New Year 2026: văn bản 12729/VPCP-KGVX ngày 25/12/2025 (Phó Thủ tướng Phạm Thị Thanh Trà approved the
// Bộ Nội vụ proposal).
const VPCP_12729 = 'Văn bản 12729/VPCP-KGVX ngày 25/12/2025 (Phó Thủ tướng đồng ý đề xuất của Bộ Nội vụ)';

export const officialSchedules: OfficialYearSchedule[] = [
  {
    year: 2025,
    confirmed: true,
    sourceNote:
      'Tết Ất Tỵ (mùng 1 = Wed 29/01/2025): off Sat 25/01 – Sun 02/02/2025 (26 tháng Chạp Giáp Thìn – mùng 5 Ất Tỵ), ' +
      '5 Tết days + 4 weekend days. 30/4–1/5: Fri 02/05 swapped with the make-up Sat 26/04, so Wed 30/04 – Sun 04/05 is off. ' +
      'Quốc khánh: off Sat 30/08 – Tue 02/09, with Mon 01/09 as the adjacent day. All three are in Thông báo 6150/TB-BLĐTBXH ' +
      'ngày 03/12/2024 (thuvienphapluat.vn summary), approved in 8726/VPCP-KGVX ngày 26/11/2024 (pld.net.vn). ' +
      'The 30/4 swap was also reported by VietnamPlus. The 2/9 span was restated by Bộ Nội vụ in August 2025 (24h.com.vn). ' +
      '1/1 (Wed) and Giỗ Tổ 10/3 âm lịch (Mon 07/04/2025) are plain statutory weekdays. No extra day off for the 80th Quốc khánh.',
    entries: [
      { date: '2025-01-01', kind: 'dayOff', name: "New Year's Day", nameVi: 'Tết Dương lịch', source: BLLD },

      { date: '2025-01-27', kind: 'dayOff', name: 'Lunar New Year holiday (28th of the 12th lunar month)', nameVi: 'Nghỉ Tết Âm lịch (28 tháng Chạp)', source: TB_6150 },
      { date: '2025-01-28', kind: 'dayOff', name: "Lunar New Year's Eve", nameVi: 'Nghỉ Tết Âm lịch (29 tháng Chạp - Giao thừa)', source: TB_6150 },
      { date: '2025-01-29', kind: 'dayOff', name: 'Lunar New Year (1st day)', nameVi: 'Tết Nguyên đán (mùng 1 Tết Ất Tỵ)', source: TB_6150 },
      { date: '2025-01-30', kind: 'dayOff', name: 'Lunar New Year (2nd day)', nameVi: 'Tết Nguyên đán (mùng 2)', source: TB_6150 },
      { date: '2025-01-31', kind: 'dayOff', name: 'Lunar New Year (3rd day)', nameVi: 'Tết Nguyên đán (mùng 3)', source: TB_6150 },

      { date: '2025-04-07', kind: 'dayOff', name: 'Hung Kings Commemoration Day', nameVi: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', source: BLLD },

      { date: '2025-04-26', kind: 'workingDay', name: 'Make-up working Saturday (for Fri 2 May)', nameVi: 'Ngày làm bù (hoán đổi cho thứ Sáu 02/5/2025)', source: TB_6150 },
      { date: '2025-04-30', kind: 'dayOff', name: 'Reunification Day', nameVi: 'Ngày Chiến thắng (Giải phóng miền Nam, thống nhất đất nước)', source: BLLD },
      { date: '2025-05-01', kind: 'dayOff', name: "International Workers' Day", nameVi: 'Ngày Quốc tế Lao động', source: BLLD },
      { date: '2025-05-02', kind: 'dayOff', name: 'Swapped day off (worked on Sat 26 Apr)', nameVi: 'Ngày nghỉ hoán đổi (làm bù thứ Bảy 26/4/2025)', source: TB_6150 },

      { date: '2025-09-01', kind: 'dayOff', name: 'National Day holiday (adjacent day)', nameVi: 'Nghỉ lễ Quốc khánh (ngày liền kề trước 2/9)', source: TB_6150 },
      { date: '2025-09-02', kind: 'dayOff', name: 'National Day', nameVi: 'Quốc khánh', source: TB_6150 },
    ],
  },
  {
    year: 2026,
    confirmed: true,
    sourceNote:
      'Tết Dương lịch: off Thu 01/01 – Sun 04/01/2026, with Fri 02/01 swapped to the make-up Sat 10/01. Source: 12729/VPCP-KGVX ' +
      'ngày 25/12/2025 (baohiemxahoi.gov.vn, 25/12/2025). Tết Bính Ngọ (mùng 1 = Tue 17/02/2026): off Sat 14/02 – Sun 22/02/2026 ' +
      '(27 tháng Chạp Ất Tỵ – mùng 6 Bính Ngọ). The 5 Tết weekdays are Mon 16/02 – Fri 20/02. Source: Thông báo số 9441 ngày ' +
      '16/10/2025 of Bộ Nội vụ (vietbao.vn); the full document symbol, likely "/TB-BNV", was not seen. The PM approved it per ' +
      'thanhnien.vn, kienthuc.net.vn and tienphong.vn (13/10/2025). Quốc khánh: off Sat 29/08 – Wed 02/09/2026, with Tue 01/09 ' +
      'as the adjacent day and Mon 31/08 swapped to the make-up Sat 22/08 (thanhnien.vn and kienthuc.net.vn, 13/10/2025, ' +
      'reporting the PM-approved Bộ Nội vụ plan). Giỗ Tổ (10/3 âm lịch) = Sun 26/04/2026, so Mon 27/04 is the nghỉ bù under ' +
      'Art. 111(3) (thanhnien.vn, 23/02/2026); no separate notice was found. 30/4 (Thu) and 1/5 (Fri) are plain statutory ' +
      'weekdays; no swap was announced. 24/11 (Ngày Văn hóa Việt Nam) is not yet a legal holiday; a Labour Code amendment is pending.',
    entries: [
      { date: '2026-01-01', kind: 'dayOff', name: "New Year's Day", nameVi: 'Tết Dương lịch', source: BLLD },
      { date: '2026-01-02', kind: 'dayOff', name: 'Swapped day off (worked on Sat 10 Jan)', nameVi: 'Ngày nghỉ hoán đổi (làm bù thứ Bảy 10/01/2026)', source: VPCP_12729 },
      { date: '2026-01-10', kind: 'workingDay', name: 'Make-up working Saturday (for Fri 2 Jan)', nameVi: 'Ngày làm bù (hoán đổi cho thứ Sáu 02/01/2026)', source: VPCP_12729 },

      { date: '2026-02-16', kind: 'dayOff', name: "Lunar New Year's Eve", nameVi: 'Nghỉ Tết Âm lịch (29 tháng Chạp - Giao thừa)', source: TB_9441 },
      { date: '2026-02-17', kind: 'dayOff', name: 'Lunar New Year (1st day)', nameVi: 'Tết Nguyên đán (mùng 1 Tết Bính Ngọ)', source: TB_9441 },
      { date: '2026-02-18', kind: 'dayOff', name: 'Lunar New Year (2nd day)', nameVi: 'Tết Nguyên đán (mùng 2)', source: TB_9441 },
      { date: '2026-02-19', kind: 'dayOff', name: 'Lunar New Year (3rd day)', nameVi: 'Tết Nguyên đán (mùng 3)', source: TB_9441 },
      { date: '2026-02-20', kind: 'dayOff', name: 'Lunar New Year (4th day)', nameVi: 'Tết Nguyên đán (mùng 4)', source: TB_9441 },

      { date: '2026-04-27', kind: 'dayOff', name: 'Hung Kings Commemoration Day (compensatory; falls on Sun 26 Apr)', nameVi: 'Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch trùng Chủ nhật 26/4/2026)', source: BLLD_NGHI_BU },
      { date: '2026-04-30', kind: 'dayOff', name: 'Reunification Day', nameVi: 'Ngày Chiến thắng (Giải phóng miền Nam, thống nhất đất nước)', source: BLLD },
      { date: '2026-05-01', kind: 'dayOff', name: "International Workers' Day", nameVi: 'Ngày Quốc tế Lao động', source: BLLD },

      { date: '2026-08-22', kind: 'workingDay', name: 'Make-up working Saturday (for Mon 31 Aug)', nameVi: 'Ngày làm bù (hoán đổi cho thứ Hai 31/8/2026)', source: TB_9441 },
      { date: '2026-08-31', kind: 'dayOff', name: 'Swapped day off (worked on Sat 22 Aug)', nameVi: 'Ngày nghỉ hoán đổi (làm bù thứ Bảy 22/8/2026)', source: TB_9441 },
      { date: '2026-09-01', kind: 'dayOff', name: 'National Day holiday (adjacent day)', nameVi: 'Nghỉ lễ Quốc khánh (ngày liền kề trước 2/9)', source: TB_9441 },
      { date: '2026-09-02', kind: 'dayOff', name: 'National Day', nameVi: 'Quốc khánh', source: TB_9441 },
    ],
  },
];
