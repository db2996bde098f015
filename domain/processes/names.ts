/**
 * The regulated processes as people name them (the `process` of a case and of its SLA clocks):
 * Vietnamese first, English alongside, with the Regulation's articles (SPEC.md §4).
 */
export const PROCESS_NAMES: Readonly<Record<string, { vi: string; en: string }>> = {
  tthc: { vi: 'Công bố thủ tục hành chính', en: 'TTHC publication decision' },
  'tthc-review': { vi: 'Rà soát chất lượng dữ liệu TTHC', en: 'TTHC data quality review' },
  dvctt: { vi: 'Kiểm thử tích hợp dịch vụ công trực tuyến', en: 'Online-service test integration' },
  feedback: { vi: 'Phản ánh, kiến nghị', en: 'Citizen feedback' },
  payment: { vi: 'Thanh toán trực tuyến', en: 'Online payment (T+1)' },
  reconciliation: { vi: 'Đối soát hằng ngày', en: 'Daily reconciliation' },
  discrepancy: { vi: 'Xử lý chênh lệch đối soát', en: 'Reconciliation discrepancy' },
  refund: { vi: 'Hoàn trả tiền', en: 'Refund' },
  account: { vi: 'Vấn đề tài khoản (khiếu nại, sai thông tin định danh)', en: 'Account issue (complaint, wrong identity data)' },
  evaluation: { vi: 'Đánh giá giải quyết TTHC, cung cấp dịch vụ công', en: 'Agency evaluation' },
  operations: { vi: 'Vận hành kỹ thuật (máy chủ bảo mật, hỗ trợ sự cố, bảo trì, cảnh báo kết nối)', en: 'Technical operations (security servers, support, maintenance, connection alerts)' },
};

/** A process's names; an unknown process shows its code in both languages. */
export const processName = (process: string): { vi: string; en: string } => PROCESS_NAMES[process] ?? { vi: process, en: process };
