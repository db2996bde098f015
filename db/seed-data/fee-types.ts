/**
 * The payment transaction type codes (mã loại giao dịch thanh toán) seeded into `fee_types`.
 *
 * Art 34.1: the codes are used uniformly "theo danh mục do Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ
 * ban hành". That catalogue is not public in a form we could confirm, so this list is a project
 * rule: one code per kind of obligation Art 31.1 names (phí, lệ phí, thuế, other financial
 * obligations) plus the charges the Portal's processes already use. VPCP maintains the catalogue
 * (`PUT /v1/fee-types/:code`); the migrator only adds codes that are missing (it never overwrites
 * VPCP's names). Codes are stable ids: never reuse one for another meaning.
 */
export interface FeeTypeSeed {
  code: string;
  name: string;
  nameVi: string;
  category: 'fee' | 'charge' | 'tax' | 'other';
}

export const feeTypes: FeeTypeSeed[] = [
  { code: 'PHI', name: 'Fee for a public service', nameVi: 'Phí', category: 'fee' },
  { code: 'LEPHI', name: 'Administrative charge', nameVi: 'Lệ phí', category: 'charge' },
  { code: 'LEPHI-HT', name: 'Civil status registration charge', nameVi: 'Lệ phí đăng ký hộ tịch', category: 'charge' },
  { code: 'LEPHI-TB', name: 'Registration charge (lệ phí trước bạ)', nameVi: 'Lệ phí trước bạ', category: 'charge' },
  { code: 'THUE', name: 'Tax', nameVi: 'Thuế', category: 'tax' },
  { code: 'PHAT-VPHC', name: 'Administrative fine', nameVi: 'Tiền phạt vi phạm hành chính', category: 'other' },
  { code: 'NVTC-KHAC', name: 'Other financial obligation', nameVi: 'Nghĩa vụ tài chính khác', category: 'other' },
];
