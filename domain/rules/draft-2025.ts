import { RULES_2020 } from './baseline-2020.js';
import { deriveRuleSet } from './derive.js';
import type { RuleSet } from './types.js';

/**
 * Seed 001 (VPCP's 2025 submission) gives chapter ranges only; the article text is not in the seeds.
 * Where a chapter keeps its number of articles the numbering is mapped one to one; elsewhere by
 * position in the chapter, with the assumption stated. Amounts and units: the submission changes none
 * of the periods the processes use, so every one is inherited from the 2020 draft.
 */
const FEEDBACK_NOTE =
  'Chapter VI (Art 36–47, 12 articles) becomes Chapter V (Art 38–48, 11 articles); the submission gives only the range. ' +
  'Mapped by position, +2 (Art 42 → 44, 44 → 46), assuming the two responsibility articles (46–47) merge into Art 48 as the submission lists them together. Verify against the adopted text.';
const PAYMENTS_NOTE = 'Chapter V (Art 31–35) becomes Chapter IV (Art 33–37), 5 articles each: mapped one to one, +2.';
const OPERATIONS_NOTE = 'Chapter VII (Art 48–54) becomes Chapter VI (Art 49–55), 7 articles each: mapped one to one, +1.';
const DVCTT_NOTE =
  'Chapter IV (Art 26–30) becomes Chapter III (Art 26–32) with two more articles (centralised online services); ' +
  'the test-integration article is kept at its position from the chapter start (Art 27). Verify against the adopted text.';
const ACCOUNT_NOTE =
  'The submission moves account management into Chapter I and drops registration; Chapter II starts at Art 14, so account ' +
  'management is taken to stay Art 13 (the submission\'s "Art 1–8" for Chapter I contradicts its own Chapter II range). Verify.';
const TTHC_NOTE = 'Chapter III (Art 14–25) becomes Chapter II (Art 14–25), 12 articles each: numbering unchanged.';

export const RULES_2025_DRAFT: RuleSet = deriveRuleSet(RULES_2020, {
  id: 'dvcqg-2025-draft',
  title: 'Regulation on the management, operation and use of the National Public Service Portal (2025 replacement, as submitted)',
  titleVi: 'Quy chế quản lý, vận hành, khai thác Cổng Dịch vụ công Quốc gia (dự thảo thay thế Quyết định 31/2021/QĐ-TTg, 2025)',
  legalSource: 'VPCP submission (Tờ trình) of 2025 for the Decision replacing Decision 31/2021/QĐ-TTg: 8 chapters, 63 articles (seed 001)',
  // Submitted, not adopted: VPCP brings it into force with a new version naming the day.
  inForceFrom: null,
  inForceTo: null,
  periods: {
    'feedback.classify': { article: 'Art 44.3', note: FEEDBACK_NOTE },
    'feedback.notAccepted': { article: 'Art 44.3a', note: FEEDBACK_NOTE },
    'feedback.answer': { article: 'Art 46.1', note: FEEDBACK_NOTE },
    'feedback.progress': { article: 'Art 46.1', note: FEEDBACK_NOTE },
    'feedback.resultEntry': { article: 'Art 46.2', note: FEEDBACK_NOTE },
    'account.notifyParties': { article: 'Art 13.1', note: ACCOUNT_NOTE },
    'account.result': { article: 'Art 13.1', note: ACCOUNT_NOTE },
    'operations.securityServerNotice': { article: 'Art 51.2', note: OPERATIONS_NOTE },
    'operations.supportHandling': { article: 'Art 52', note: OPERATIONS_NOTE },
    'operations.maintenanceNotice': { article: 'Art 52', note: OPERATIONS_NOTE },
    'payment.settlement': { article: 'Art 35.4a', note: PAYMENTS_NOTE },
    'discrepancy.resolve': { article: 'Art 36.5', note: PAYMENTS_NOTE },
    'refund.investigate': { article: 'Art 36.6b (period: project rule after Art 36.5)', note: PAYMENTS_NOTE },
    'dvctt.review': { article: 'Art 27.3', note: DVCTT_NOTE },
    'dvctt.test': { article: 'Art 27.4', note: DVCTT_NOTE },
    'dvctt.confirm': { article: 'Art 27.5', note: DVCTT_NOTE },
    'tthc.publish.minister': { note: TTHC_NOTE },
    'tthc.publish.provincialChairman': { note: TTHC_NOTE },
    'tthc.publish.shortenedProcedure': { note: TTHC_NOTE },
    'tthc-review.fix': { note: TTHC_NOTE },
  },
  values: {
    onlineServiceClasses: {
      article: 'Chapter III (Art 26–32)',
      note: 'The submission classes online services "toàn trình / một phần" (Resolution 57-NQ/TW, Plan 02-KH/BCĐTW) instead of levels 3/4; the exact article is not in the submission.',
      values: [
        { code: 'full', vi: 'Dịch vụ công trực tuyến toàn trình', en: 'Fully online public service (toàn trình)' },
        { code: 'partial', vi: 'Dịch vụ công trực tuyến một phần', en: 'Partly online public service (một phần)' },
      ],
    },
    tthcLevels: {
      article: 'Chapter II (Art 14–25)',
      note: 'Two-level local government since 1 July 2025: no district level (cấp huyện).',
      values: [
        { code: 'central', vi: 'Cấp trung ương', en: 'Central' },
        { code: 'provincial', vi: 'Cấp tỉnh', en: 'Provincial' },
        { code: 'commune', vi: 'Cấp xã', en: 'Commune' },
      ],
    },
    feedbackCategories: { article: 'Art 39', note: FEEDBACK_NOTE },
  },
});
