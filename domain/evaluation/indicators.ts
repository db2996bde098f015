/**
 * The indicators of the agency evaluation (Art 30.1): each one a rate in [0, 1] that the Portal
 * computes from its own data, for every ministry, sector and province at once. Art 30.1 names the
 * data (connection results; TTHC data; online services; payments; dossier handling and status sync;
 * feedback; satisfaction), not the measures: the measures below are project rules (README, "Agency
 * evaluation"). Dossier handling, status sync and satisfaction are not data this system holds.
 */
export const INDICATOR_KEYS = [
  'connectionUptime',
  'securityServerNotice',
  'tthcPublicationOnTime',
  'tthcIssuedBeforeEffect',
  'tthcReviewFixOnTime',
  'tthcDataQuality',
  'dvcttLive',
  'dvcttTestOnTime',
  'dvcttNotSuspended',
  'paymentReconciliationUploads',
  'paymentDiscrepancyOnTime',
  'feedbackOnTime',
  'feedbackAnswered',
] as const;
export type IndicatorKey = (typeof INDICATOR_KEYS)[number];

/** The data group of Art 30.1 an indicator belongs to. */
export type IndicatorGroup = 'connection' | 'tthc' | 'dvctt' | 'payment' | 'feedback';

export interface IndicatorDefinition {
  key: IndicatorKey;
  group: IndicatorGroup;
  nameVi: string;
  nameEn: string;
  /** The rate: what is counted over what (English). */
  measure: string;
  /** Where the data comes from: the article that makes the agency act and the data the Portal keeps. */
  source: string;
}

export const INDICATORS: Readonly<Record<IndicatorKey, IndicatorDefinition>> = {
  connectionUptime: {
    key: 'connectionUptime', group: 'connection',
    nameVi: 'Thời gian kết nối thông suốt với Cổng', nameEn: 'Connection uptime with the Portal',
    measure: "1 − outage time of the agency's connected systems / (systems × period)",
    source: 'Art 30.1a; Art 52 connection-loss records (connection_outages)',
  },
  securityServerNotice: {
    key: 'securityServerNotice', group: 'connection',
    nameVi: 'Đăng ký thay đổi máy chủ bảo mật đủ thời gian báo trước', nameEn: 'Security-server changes registered with the notice required',
    measure: 'changes registered in the period with 3 working days\' notice (not refused, not an emergency) / changes registered (withdrawn ones left out)',
    source: 'Art 30.1a, 50.2 (security_server_changes)',
  },
  tthcPublicationOnTime: {
    key: 'tthcPublicationOnTime', group: 'tthc',
    nameVi: 'Công khai TTHC đúng hạn', nameEn: 'TTHC decisions published on time',
    measure: 'publication clocks due in the period that were met / met + breached',
    source: 'Art 30.1b, 15.2; Decree 63/2010 Art 24 (sla_clocks, process tthc, clock publish)',
  },
  tthcIssuedBeforeEffect: {
    key: 'tthcIssuedBeforeEffect', group: 'tthc',
    nameVi: 'Quyết định công bố ban hành đúng thời hạn trước ngày văn bản có hiệu lực', nameEn: 'Publication decisions issued ahead of the law taking effect',
    measure: 'decisions signed in the period not flagged late / decisions signed in the period',
    source: 'Art 30.1b; Decree 63/2010 Art 15 (tthc_decisions.late_issue)',
  },
  tthcReviewFixOnTime: {
    key: 'tthcReviewFixOnTime', group: 'tthc',
    nameVi: 'Sửa dữ liệu TTHC theo yêu cầu rà soát đúng hạn', nameEn: 'TTHC data fixed on time after a quality review',
    measure: 'review fix clocks due in the period that were met / met + breached',
    source: 'Art 30.1b, 24.2a (sla_clocks, process tthc-review)',
  },
  tthcDataQuality: {
    key: 'tthcDataQuality', group: 'tthc',
    nameVi: 'TTHC không bị yêu cầu sửa khi rà soát', nameEn: 'TTHCs with no quality finding',
    measure: "1 − the agency's TTHCs with a review opened in the period / its TTHCs legally in force during the period",
    source: 'Art 30.1b, 24.2a (tthc_reviews, tthc_versions)',
  },
  dvcttLive: {
    key: 'dvcttLive', group: 'dvctt',
    nameVi: 'Dịch vụ công trực tuyến đã cung cấp chính thức', nameEn: 'Online services live',
    measure: 'services declared by the end of the period whose test passed by then / services declared',
    source: 'Art 30.1b, 27.5 (dvctt_services, dvctt_rounds)',
  },
  dvcttTestOnTime: {
    key: 'dvcttTestOnTime', group: 'dvctt',
    nameVi: 'Kiểm thử dịch vụ công trực tuyến đúng hạn', nameEn: 'Online services tested on time',
    measure: "the agency's test-loop clocks due in the period that were met / met + breached",
    source: 'Art 30.1b, 27.4 (sla_clocks, process dvctt)',
  },
  dvcttNotSuspended: {
    key: 'dvcttNotSuspended', group: 'dvctt',
    nameVi: 'Dịch vụ không bị tạm ngưng, dừng', nameEn: 'Live services not suspended or stopped',
    measure: '1 − live services suspended or stopped in the period / services live by the end of the period',
    source: 'Art 30.1b, 28.4 (dvctt_actions suspend / stop)',
  },
  paymentReconciliationUploads: {
    key: 'paymentReconciliationUploads', group: 'payment',
    nameVi: 'Gửi dữ liệu đối soát thanh toán', nameEn: 'Payment records sent for reconciliation',
    measure: "days with the agency's successful payments for which it uploaded its records / those days",
    source: 'Art 30.1b, 34.2 (payments, reconciliation_uploads)',
  },
  paymentDiscrepancyOnTime: {
    key: 'paymentDiscrepancyOnTime', group: 'payment',
    nameVi: 'Xử lý chênh lệch đối soát đúng hạn', nameEn: 'Reconciliation differences settled on time',
    measure: "the agency's discrepancy clocks due in the period that were met / met + breached",
    source: 'Art 30.1b, 34.5 (sla_clocks, process discrepancy)',
  },
  feedbackOnTime: {
    key: 'feedbackOnTime', group: 'feedback',
    nameVi: 'Xử lý phản ánh, kiến nghị đúng hạn', nameEn: 'Feedback handled on time',
    measure: "the agency's feedback clocks due in the period that were met / met + breached",
    source: 'Art 30.1b, 42.3, 44.1, 44.2 (sla_clocks, process feedback)',
  },
  feedbackAnswered: {
    key: 'feedbackAnswered', group: 'feedback',
    nameVi: 'Phản ánh, kiến nghị đã có trả lời công khai', nameEn: 'Feedback answered and published',
    measure: 'items received in the period and accepted for handling whose answer is published / those items',
    source: 'Art 30.1b, 45.1 (feedback_items)',
  },
};

/** A rate's parts: `denominator` 0 means the agency has no data for it in the period. */
export interface IndicatorCount {
  numerator: number;
  denominator: number;
}

/** Per indicator, per agency code: the counts (an agency absent from an indicator has no data for it). */
export type IndicatorCounts = Partial<Record<IndicatorKey, Record<string, IndicatorCount>>>;
