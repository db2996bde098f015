/**
 * Officer permissions (quyền xử lý nghiệp vụ): one per process action an officer performs, granted
 * to named officers by their agency's administrator (Art 15.1a, 41.1–41.2, 48.1–48.3). Every action
 * route declares the permission it needs (`config.permission`); this catalogue names, for each
 * permission, the officer roles it applies to and every route it opens (`METHOD /v1/path`). A test
 * checks that routes and catalogue agree, both ways.
 *
 * Banks, the Portal front end and auditors are not officers: their routes are authorized by role
 * and scope only, and a route open to them and to officers checks the permission of officers only.
 */

/** The officer roles: agency officers (bộ, ngành, địa phương) and VPCP's own officers. */
export const OFFICER_ROLES = ['agency', 'vpcp'] as const;
export type OfficerRole = (typeof OFFICER_ROLES)[number];

export interface PermissionSpec {
  title: string;
  titleVi: string;
  /** The articles that make it an officer's right (Regulation, 2020 draft numbering). */
  article: string;
  /** Officers of which role may hold it. */
  roles: readonly OfficerRole[];
  /** Every route it opens, as `METHOD /v1/path` (Fastify's route pattern). */
  routes: readonly string[];
  /** Administration rather than business (who may grant): see `isAdministration`. */
  administration?: true;
}

const agency = ['agency'] as const;
const vpcp = ['vpcp'] as const;
const officers = OFFICER_ROLES;

export const PERMISSIONS = {
  // P1 — National TTHC Database (Art 15.1a: each ministry/province enters and publishes its own data)
  'tthc.enter': {
    title: 'Enter TTHC publication decisions and their items, check them, submit review fixes',
    titleVi: 'Cập nhật quyết định công bố, thủ tục hành chính; khắc phục theo kết quả rà soát',
    article: 'Art 15.1a, 16.3–16.4, 24.2a', roles: agency,
    routes: ['POST /v1/tthc/decisions', 'POST /v1/tthc/decisions/:id/items', 'POST /v1/tthc/decisions/:id/check', 'POST /v1/tthc/reviews/:id/fix'],
  },
  'tthc.publish': {
    title: 'Publish a TTHC decision on the National TTHC Database', titleVi: 'Đăng tải công khai thủ tục hành chính',
    article: 'Art 15.1a, 16.5', roles: agency, routes: ['POST /v1/tthc/decisions/:id/publish'],
  },
  'tthc.review': {
    title: 'Review the quality of published TTHC data and decide on fixes', titleVi: 'Rà soát, đánh giá chất lượng dữ liệu thủ tục hành chính',
    article: 'Art 24.2a', roles: vpcp, routes: ['POST /v1/tthc/reviews', 'POST /v1/tthc/reviews/:id/decision'],
  },
  // Citizen feedback (Art 41: receive, process and publish the answer, each by officers granted it)
  'feedback.receive': {
    title: 'Type in feedback received on paper, by phone, fax or e-mail, and its supplements', titleVi: 'Tiếp nhận phản ánh, kiến nghị',
    article: 'Art 41.1, 42.2b', roles: agency, routes: ['POST /v1/feedback', 'POST /v1/feedback/:id/supplement'],
  },
  'feedback.classify': {
    title: 'Classify feedback, transfer it, or hand it to VPCP', titleVi: 'Phân loại, chuyển xử lý phản ánh, kiến nghị',
    article: 'Art 41.1, 42.3', roles: officers, routes: ['POST /v1/feedback/:id/classify', 'POST /v1/feedback/:id/escalate'],
  },
  'feedback.answer': {
    title: 'Process feedback: coordinate, answer coordination requests, post progress, enter the result', titleVi: 'Xử lý phản ánh, kiến nghị',
    article: 'Art 41.1, 43.2, 44.1–44.2', roles: officers,
    routes: ['POST /v1/feedback/:id/coordinate', 'POST /v1/feedback/:id/coordination-answer', 'POST /v1/feedback/:id/progress', 'POST /v1/feedback/:id/result'],
  },
  'feedback.review': {
    title: 'Check the answer before publication', titleVi: 'Kiểm tra kết quả xử lý trước khi công khai',
    article: 'Art 41.1, 45.2', roles: officers, routes: ['POST /v1/feedback/:id/review'],
  },
  'feedback.publish': {
    title: 'Publish the answer on the Portal', titleVi: 'Công khai kết quả trả lời phản ánh, kiến nghị',
    article: 'Art 41.1, 45.1', roles: officers, routes: ['POST /v1/feedback/:id/publish'],
  },
  'feedback.remove': {
    title: 'Take an item involving state secrets off the system', titleVi: 'Đưa phản ánh, kiến nghị có nội dung bí mật nhà nước ra khỏi Hệ thống',
    article: 'Art 44.3', roles: officers, routes: ['POST /v1/feedback/:id/state-secret'],
  },
  // Online public services, test loop (Art 27–28)
  'dvctt.register': {
    title: 'Declare an online public service', titleVi: 'Khai báo dịch vụ công trực tuyến',
    article: 'Art 27.1', roles: agency, routes: ['POST /v1/dvctt/services'],
  },
  'dvctt.propose': {
    title: 'Propose a service for testing, or withdraw it', titleVi: 'Đề nghị thử nghiệm, rút dịch vụ công trực tuyến',
    article: 'Art 27.2', roles: agency, routes: ['POST /v1/dvctt/services/:code/propose', 'POST /v1/dvctt/services/:code/withdraw'],
  },
  'dvctt.report': {
    title: "Report a service's test results and fixes", titleVi: 'Báo cáo kết quả thử nghiệm, khắc phục dịch vụ công trực tuyến',
    article: 'Art 27.3, 28.4', roles: agency, routes: ['POST /v1/dvctt/services/:code/test-report', 'POST /v1/dvctt/services/:code/fix'],
  },
  'dvctt.review': {
    title: 'Review proposals and confirm test results', titleVi: 'Kiểm tra, xác nhận kết quả thử nghiệm dịch vụ công trực tuyến',
    article: 'Art 27.2–27.4', roles: vpcp, routes: ['POST /v1/dvctt/services/:code/review', 'POST /v1/dvctt/services/:code/confirm'],
  },
  'dvctt.supervise': {
    title: 'Suspend, resume, stop live services; close abandoned loops', titleVi: 'Tạm dừng, khôi phục, dừng cung cấp dịch vụ công trực tuyến',
    article: 'Art 28.4', roles: vpcp,
    routes: ['POST /v1/dvctt/services/:code/suspend', 'POST /v1/dvctt/services/:code/resume', 'POST /v1/dvctt/services/:code/stop', 'POST /v1/dvctt/services/:code/close'],
  },
  // Online payments and reconciliation (Art 31–35)
  'payment.request': {
    title: 'Register payment requests', titleVi: 'Tạo yêu cầu thanh toán trực tuyến',
    article: 'Art 31.2b, 33.3', roles: agency, routes: ['POST /v1/payments'],
  },
  'payment.cancel': {
    title: 'Cancel a payment request not yet paid', titleVi: 'Hủy yêu cầu thanh toán',
    article: 'Art 31.2b', roles: agency, routes: ['POST /v1/payments/:paymentId/cancel'],
  },
  'reconciliation.upload': {
    title: "Upload the agency's own records for reconciliation", titleVi: 'Cập nhật dữ liệu đối soát của cơ quan',
    article: 'Art 34.4b–c', roles: agency, routes: ['PUT /v1/reconciliation/agency-records/:agency/:bank/:txnDate'],
  },
  'reconciliation.resolve': {
    title: 'Record the cause and the settlement of reconciliation differences', titleVi: 'Xử lý chênh lệch đối soát',
    article: 'Art 34.5, 35.6', roles: officers, routes: ['POST /v1/reconciliation/discrepancies/:id/cause', 'POST /v1/reconciliation/discrepancies/:id/resolve'],
  },
  'reconciliation.run': {
    title: 'Run reconciliation and set its schedule', titleVi: 'Thực hiện, lập lịch đối soát',
    article: 'Art 34.2–34.4', roles: vpcp, routes: ['POST /v1/reconciliation/runs', 'PUT /v1/reconciliation/schedule'],
  },
  'refund.payout': {
    title: 'Record a refund paid back to the payer', titleVi: 'Hoàn trả tiền cho người nộp',
    article: 'Art 34.6', roles: agency, routes: ['POST /v1/refunds/:id/payout'],
  },
  'refund.start': {
    title: "Start the agency's own refund of a payment it collected", titleVi: 'Xử lý hoàn trả tiền (cơ quan cung cấp dịch vụ công)',
    article: 'Art 34.6c', roles: agency, routes: ['POST /v1/refunds'],
  },
  'refund.closeUnfounded': {
    title: 'Close a refund opened from a reconciliation difference that proved unfounded', titleVi: 'Đóng yêu cầu hoàn trả do chênh lệch không có căn cứ',
    article: 'Art 34.6', roles: vpcp, routes: ['POST /v1/refunds/:id/close-unfounded'],
  },
  'payment.receiptException': {
    title: 'Let a debited payment settle without a verified signed receipt, with the reason', titleVi: 'Cho phép quyết toán khi chưa có chứng từ điện tử hợp lệ (ngoại lệ)',
    article: 'Art 31.2c–d', roles: vpcp, routes: ['POST /v1/payments/:paymentId/receipt-exception'],
  },
  'payment.feeTypes': {
    title: 'Maintain the catalogue of payment transaction type codes', titleVi: 'Quản lý danh mục mã loại giao dịch thanh toán',
    article: 'Art 34.1', roles: vpcp, routes: ['PUT /v1/fee-types/:code'],
  },
  'bank.register': {
    title: 'Register connected banks; suspend, stop or resume them', titleVi: 'Quản lý ngân hàng, trung gian thanh toán kết nối',
    article: 'Art 33.2, 33.7', roles: vpcp,
    routes: ['PUT /v1/banks/:code', 'POST /v1/banks/:code/suspend', 'POST /v1/banks/:code/stop', 'POST /v1/banks/:code/resume'],
  },
  // Portal accounts (Art 13) and the evaluation of agencies (Art 30)
  'account.handle': {
    title: "Handle issues with citizens' Portal accounts: type them in, notify parties, accept, resolve", titleVi: 'Xử lý phản ánh về tài khoản Cổng Dịch vụ công',
    article: 'Art 13.1', roles: vpcp,
    routes: ['POST /v1/accounts/issues', 'POST /v1/accounts/issues/:id/notify-parties', 'POST /v1/accounts/issues/:id/accept', 'POST /v1/accounts/issues/:id/resolve'],
  },
  'evaluation.manage': {
    title: 'Set evaluation weights and thresholds; run an evaluation', titleVi: 'Cấu hình, thực hiện đánh giá',
    article: 'Art 30.4', roles: vpcp, routes: ['POST /v1/evaluation/config', 'POST /v1/evaluation/runs'],
  },
  // Technical operations (Art 50–52): security servers, support requests, maintenance, connected systems
  'operations.securityServers': {
    title: "Register and withdraw changes of the agency's security servers", titleVi: 'Đăng ký thay đổi máy chủ an ninh (security server)',
    article: 'Art 50.2', roles: agency,
    routes: ['POST /v1/operations/security-servers/changes', 'POST /v1/operations/security-servers/changes/:id/withdraw'],
  },
  'operations.emergencyChange': {
    title: 'Accept or refuse a short-notice security-server change as an emergency', titleVi: 'Chấp thuận thay đổi khẩn cấp máy chủ an ninh',
    article: 'Art 50.2', roles: vpcp, routes: ['POST /v1/operations/security-servers/changes/:id/emergency-decision'],
  },
  'operations.support': {
    title: 'File, annotate, reopen, close or withdraw support and incident requests', titleVi: 'Gửi, theo dõi yêu cầu hỗ trợ, xử lý sự cố',
    article: 'Art 51', roles: officers,
    routes: [
      'POST /v1/operations/support-requests', 'POST /v1/operations/support-requests/:id/notes', 'POST /v1/operations/support-requests/:id/reopen',
      'POST /v1/operations/support-requests/:id/close', 'POST /v1/operations/support-requests/:id/withdraw',
    ],
  },
  'operations.supportHandle': {
    title: 'Handle support and incident requests: announce a completion time, resolve', titleVi: 'Xử lý yêu cầu hỗ trợ, sự cố',
    article: 'Art 51', roles: vpcp,
    routes: ['POST /v1/operations/support-requests/:id/announce-completion', 'POST /v1/operations/support-requests/:id/resolve'],
  },
  'operations.maintenance': {
    title: 'Announce and cancel planned maintenance windows', titleVi: 'Thông báo, hủy lịch bảo trì',
    article: 'Art 51', roles: vpcp, routes: ['POST /v1/operations/maintenance', 'POST /v1/operations/maintenance/:id/cancel'],
  },
  'operations.systems': {
    title: 'Register, configure and retire connected systems and their health checks', titleVi: 'Quản lý hệ thống kết nối và giám sát kết nối',
    article: 'Art 52', roles: officers,
    routes: ['POST /v1/operations/systems', 'POST /v1/operations/systems/:systemId/configure', 'POST /v1/operations/systems/:systemId/retire'],
  },
  // VPCP's technical operation (Art 49–55 in the 2025 numbering)
  'calendar.manage': {
    title: 'Publish working-calendar years, overrides and working hours', titleVi: 'Quản lý lịch làm việc',
    article: 'project rule', roles: vpcp,
    routes: ['PUT /v1/calendar/years/:year', 'POST /v1/calendar/overrides', 'DELETE /v1/calendar/overrides/:date', 'PUT /v1/calendar/working-hours'],
  },
  'supervision.recompute': {
    title: 'Recompute open clocks on a newer calendar', titleVi: 'Tính lại thời hạn theo lịch mới',
    article: 'project rule', roles: vpcp, routes: ['POST /v1/supervision/recompute-clocks'],
  },
  'ruleSet.manage': {
    title: 'Create rule-set versions and move a running case to another rule set', titleVi: 'Quản lý bộ quy tắc (thời hạn, danh mục) theo văn bản quy phạm',
    article: 'project rule (SPEC §5)', roles: vpcp, routes: ['POST /v1/rule-sets', 'POST /v1/rule-sets/cases/:workflowId'],
  },
  // Administration (Art 48): the agency's high-level account grants its officers' rights
  'permissions.grant': {
    title: "Agency administrator: register units and officers, grant and revoke the agency's business permissions",
    titleVi: 'Tài khoản quản trị cấp cao: phân quyền, thu hồi quyền người sử dụng của cơ quan',
    article: 'Art 15.1a, 41.2, 48.1–48.3', roles: officers, administration: true,
    routes: [
      'POST /v1/permissions/units', 'POST /v1/permissions/officers', 'POST /v1/permissions/officers/:officer/departure',
      'POST /v1/permissions/grants', 'POST /v1/permissions/grants/:id/revoke',
    ],
  },
  'permissions.administer': {
    title: "VPCP: appoint and remove agencies' administrators", titleVi: 'Văn phòng Chính phủ: cấp, thu hồi tài khoản quản trị cấp cao',
    article: 'Art 48.1–48.3', roles: vpcp, administration: true,
    routes: ['POST /v1/permissions/administrators', 'POST /v1/permissions/administrators/:id/revoke'],
  },
} as const satisfies Record<string, PermissionSpec>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (name: string): name is Permission => Object.hasOwn(PERMISSIONS, name);

/** Granted by VPCP only (appointing an agency's administrator), never by the agency itself. */
export const ADMINISTRATOR_PERMISSION: Permission = 'permissions.grant';
const ADMINISTRATION: ReadonlySet<Permission> = new Set(PERMISSION_NAMES.filter((p) => 'administration' in PERMISSIONS[p]));
export const isAdministration = (permission: Permission): boolean => ADMINISTRATION.has(permission);

/** Whether officers of `role` can hold `permission` at all. */
export const appliesTo = (permission: Permission, role: string): boolean => (PERMISSIONS[permission].roles as readonly string[]).includes(role);

/** The permissions an officer of `role` can hold (what the service account of the local profile holds). */
export const permissionsOfRole = (role: string): Permission[] => PERMISSION_NAMES.filter((p) => appliesTo(p, role));

/** The permission that opens a route (`METHOD /v1/path`; a trailing slash is the same route), if any. */
export function permissionOfRoute(route: string): Permission | undefined {
  const normalized = route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route;
  return PERMISSION_NAMES.find((p) => (PERMISSIONS[p].routes as readonly string[]).includes(normalized));
}
