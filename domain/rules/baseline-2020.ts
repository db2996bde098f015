import type { RuleSet } from './types.js';

/** Art 37 (2020 draft): what feedback on the Portal may be about. The codes are the API's. */
export const FEEDBACK_CATEGORIES = [
  'administrative-regulation', // Art 37.1 (Decree 20/2008 Art 5) — quy định hành chính
  'covid-support', // Art 37.2
  'tthc-not-published', // Art 37.3a — TTHC in force but not (fully, correctly) published
  'tthc-repealed-still-published', // Art 37.3b
  'tthc-publication-mismatch', // Art 37.3c
  'tthc-handling-mismatch', // Art 37.3d
  'tthc-burden', // Art 37.3đ — TTHC still causing difficulties
] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

const FEEDBACK_CATEGORY_NAMES: Record<FeedbackCategory, { vi: string; en: string }> = {
  'administrative-regulation': { vi: 'Quy định hành chính', en: 'Administrative regulations' },
  'covid-support': { vi: 'Biện pháp hỗ trợ người dân gặp khó khăn do đại dịch COVID-19', en: 'COVID-19 support measures' },
  'tthc-not-published': { vi: 'TTHC có hiệu lực nhưng chưa được đăng tải (đầy đủ, chính xác)', en: 'TTHC in force but not (correctly) published' },
  'tthc-repealed-still-published': { vi: 'TTHC đã bãi bỏ nhưng vẫn được đăng tải', en: 'TTHC repealed but still published' },
  'tthc-publication-mismatch': { vi: 'TTHC công khai không thống nhất', en: 'TTHC published inconsistently' },
  'tthc-handling-mismatch': { vi: 'TTHC giải quyết không thống nhất với TTHC công khai', en: 'TTHC handled unlike its publication' },
  'tthc-burden': { vi: 'TTHC còn gây khó khăn, vướng mắc', en: 'TTHC still causing difficulties' },
};

const DECREE_63_PUBLISH = 'Decree 63/2010 Art 24.1 (am. 48/2013, 92/2017); Reg Art 15.2';

/**
 * The baseline: the 2020 draft Regulation (seed 002) as the code implements it — exactly the
 * periods and articles the workflows used as literals before rule sets existed. A case whose start
 * input carries no rule set (every history recorded before) runs under these values.
 */
export const RULES_2020: RuleSet = {
  id: 'dvcqg-2020-draft',
  title: 'Regulation on the management, operation and use of the National Public Service Portal (2020 draft)',
  titleVi: 'Quy chế quản lý, vận hành, khai thác Cổng Dịch vụ công Quốc gia (dự thảo 2020)',
  legalSource: 'Draft Decision of the Prime Minister (VPCP, 2020), 8 chapters, 59 articles; the Portal has run under Decision 31/2021/QĐ-TTg since, with the same numbering',
  // Project rule: the draft's effective date is blank; the baseline applies to every case since the Portal's start.
  inForceFrom: '2019-12-09',
  inForceTo: null,
  basedOn: null,
  periods: {
    'feedback.classify': { amount: 5, unit: 'workingDays', article: 'Art 42.3' },
    'feedback.notAccepted': { amount: 2, unit: 'workingDays', article: 'Art 42.3a' },
    'feedback.answer': { amount: 20, unit: 'calendarDays', article: 'Art 44.1' },
    'feedback.progress': { amount: 7, unit: 'calendarDays', article: 'Art 44.1' },
    'feedback.resultEntry': { amount: 2, unit: 'workingDays', article: 'Art 44.2' },
    'account.notifyParties': { amount: 24, unit: 'hours', article: 'Art 13.1' },
    'account.result': { amount: 48, unit: 'hours', article: 'Art 13.1' },
    'operations.securityServerNotice': { amount: 3, unit: 'workingDays', article: 'Art 50.2' },
    'operations.supportHandling': { amount: 8, unit: 'workingHours', article: 'Art 51' },
    'operations.maintenanceNotice': { amount: 5, unit: 'workingDays', article: 'Art 51' },
    'payment.settlement': { amount: 1, unit: 'settlementDay', article: 'Art 33.4a' },
    'discrepancy.resolve': { amount: 1, unit: 'workingDays', article: 'Art 34.5' },
    'refund.investigate': { amount: 1, unit: 'workingDays', article: 'Art 34.6b (period: project rule after Art 34.5)' },
    'dvctt.review': { amount: 2, unit: 'workingDays', article: 'Art 27.3' },
    'dvctt.test': { amount: 5, unit: 'workingDays', article: 'Art 27.4' },
    'dvctt.confirm': { amount: 2, unit: 'workingDays', article: 'Art 27.5' },
    'tthc.publish.minister': { amount: 10, unit: 'workingDays', article: DECREE_63_PUBLISH },
    'tthc.publish.provincialChairman': { amount: 5, unit: 'workingDays', article: DECREE_63_PUBLISH },
    'tthc.publish.shortenedProcedure': { amount: 2, unit: 'workingDays', article: 'Decree 63/2010 Art 24.2 (am. 92/2017); Reg Art 15.2' },
    'tthc.issueLead.ministry': { amount: 20, unit: 'workingDays', article: 'Decree 63/2010 Art 15.1 (am. 92/2017)' },
    'tthc.issueLead.sector': { amount: 20, unit: 'workingDays', article: 'Decree 63/2010 Art 15.1 (am. 92/2017)' },
    'tthc.issueLead.province': { amount: 5, unit: 'workingDays', article: 'Decree 63/2010 Art 15.2 (am. 92/2017)' },
    'tthc-review.fix': { amount: 10, unit: 'workingDays', article: 'Art 24.2a' },
  },
  values: {
    onlineServiceClasses: {
      article: 'Art 26.2a, 27.1',
      values: [
        { code: 'level-3', vi: 'Dịch vụ công trực tuyến mức độ 3', en: 'Online public service, level 3' },
        { code: 'level-4', vi: 'Dịch vụ công trực tuyến mức độ 4', en: 'Online public service, level 4' },
      ],
    },
    tthcLevels: {
      article: 'Art 17 (Decree 63/2010 Art 8)',
      values: [
        { code: 'central', vi: 'Cấp trung ương', en: 'Central' },
        { code: 'provincial', vi: 'Cấp tỉnh', en: 'Provincial' },
        { code: 'district', vi: 'Cấp huyện', en: 'District' },
        { code: 'commune', vi: 'Cấp xã', en: 'Commune' },
      ],
    },
    feedbackCategories: {
      article: 'Art 37',
      values: FEEDBACK_CATEGORIES.map((code) => ({ code, ...FEEDBACK_CATEGORY_NAMES[code] })),
    },
  },
};
