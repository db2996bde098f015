/**
 * Reference list of agencies (bộ, ngành, địa phương) that act on the National Public Service Portal.
 *
 * Scope / state of the data
 * - Ministries and ministry-level bodies: the structure of the Government in force since 1 March 2025,
 *   per Nghị quyết 176/2025/QH15 (adopted 18/02/2025): 14 ministries + 3 ministry-level bodies
 *   (NHNN, TTCP, VPCP). VPCP is seeded with kind 'government-office'; NHNN and TTCP with kind 'ministry'.
 * - Sectors (ngành): Bảo hiểm xã hội Việt Nam, Ngân hàng Chính sách xã hội, Ngân hàng Phát triển Việt Nam.
 * - Provinces: the 34 provincial-level units (28 tỉnh + 6 thành phố trực thuộc trung ương) created by the
 *   Nghị quyết on reorganising provincial-level administrative units adopted by the National Assembly on
 *   12/06/2025 (Nghị quyết 202/2025/QH15). The new provincial governments took office on 01/07/2025.
 *   The list holds the 11 units that were not merged and the 23 units formed by mergers. The former
 *   provinces that were absorbed are named in a comment on each entry.
 *
 * Code scheme (ASCII, upper case, stable ids. Never reuse a code for a different body)
 * - Ministries / ministry-level bodies / sectors: the usual Vietnamese initialism with diacritics removed
 *   (Đ -> D), e.g. BTP (Bộ Tư pháp), BGDDT (Bộ Giáo dục và Đào tạo), BNNMT (Bộ Nông nghiệp và Môi trường),
 *   BDTTG (Bộ Dân tộc và Tôn giáo), NHNN, TTCP, VPCP, BHXH, NHCSXH, NHPT.
 * - Provinces: 'UBND-' + the initials of the syllables of the unit's name without diacritics
 *   (Hà Nội -> UBND-HN, Hồ Chí Minh -> UBND-HCM, Đà Nẵng -> UBND-DN). Single-syllable name: the whole
 *   name (Huế -> UBND-HUE). Initials are shared in four cases:
 *     - a centrally-run city and a province share them: the city keeps the bare initials and the province
 *       takes its first initial(s) plus the whole last syllable (Đà Nẵng UBND-DN, Đồng Nai UBND-DNAI);
 *     - two provinces share them: both take first initial(s) plus the whole last syllable
 *       (Lai Châu UBND-LCHAU / Lào Cai UBND-LCAI, Quảng Ninh UBND-QNINH / Quảng Ngãi UBND-QNGAI,
 *       Thái Nguyên UBND-TNGUYEN / Tây Ninh UBND-TNINH).
 */
export interface AgencySeed {
  code: string;
  /** English name. */
  name: string;
  nameVi: string;
  kind: 'ministry' | 'sector' | 'province' | 'government-office';
}

export const agencies: AgencySeed[] = [
  // ── 14 ministries (Nghị quyết 176/2025/QH15) ──────────────────────────────────────────────
  { code: 'BQP', name: 'Ministry of National Defence', nameVi: 'Bộ Quốc phòng', kind: 'ministry' },
  { code: 'BCA', name: 'Ministry of Public Security', nameVi: 'Bộ Công an', kind: 'ministry' },
  { code: 'BNG', name: 'Ministry of Foreign Affairs', nameVi: 'Bộ Ngoại giao', kind: 'ministry' },
  // Absorbed the former Bộ Lao động - Thương binh và Xã hội (LĐTBXH) on 01/03/2025.
  { code: 'BNV', name: 'Ministry of Home Affairs', nameVi: 'Bộ Nội vụ', kind: 'ministry' },
  { code: 'BTP', name: 'Ministry of Justice', nameVi: 'Bộ Tư pháp', kind: 'ministry' },
  // Absorbed the former Bộ Kế hoạch và Đầu tư.
  { code: 'BTC', name: 'Ministry of Finance', nameVi: 'Bộ Tài chính', kind: 'ministry' },
  { code: 'BCT', name: 'Ministry of Industry and Trade', nameVi: 'Bộ Công Thương', kind: 'ministry' },
  // Merger of Bộ Nông nghiệp và Phát triển nông thôn + Bộ Tài nguyên và Môi trường.
  { code: 'BNNMT', name: 'Ministry of Agriculture and Environment', nameVi: 'Bộ Nông nghiệp và Môi trường', kind: 'ministry' },
  // Absorbed the former Bộ Giao thông vận tải.
  { code: 'BXD', name: 'Ministry of Construction', nameVi: 'Bộ Xây dựng', kind: 'ministry' },
  { code: 'BVHTTDL', name: 'Ministry of Culture, Sports and Tourism', nameVi: 'Bộ Văn hóa, Thể thao và Du lịch', kind: 'ministry' },
  // Absorbed the former Bộ Thông tin và Truyền thông.
  { code: 'BKHCN', name: 'Ministry of Science and Technology', nameVi: 'Bộ Khoa học và Công nghệ', kind: 'ministry' },
  { code: 'BGDDT', name: 'Ministry of Education and Training', nameVi: 'Bộ Giáo dục và Đào tạo', kind: 'ministry' },
  { code: 'BYT', name: 'Ministry of Health', nameVi: 'Bộ Y tế', kind: 'ministry' },
  // Formed from Ủy ban Dân tộc plus state management of religion (previously under Bộ Nội vụ).
  { code: 'BDTTG', name: 'Ministry of Ethnic and Religious Affairs', nameVi: 'Bộ Dân tộc và Tôn giáo', kind: 'ministry' },

  // ── Ministry-level bodies (cơ quan ngang bộ) ──────────────────────────────────────────────
  { code: 'NHNN', name: 'State Bank of Vietnam', nameVi: 'Ngân hàng Nhà nước Việt Nam', kind: 'ministry' },
  { code: 'TTCP', name: 'Government Inspectorate', nameVi: 'Thanh tra Chính phủ', kind: 'ministry' },
  { code: 'VPCP', name: 'Government Office', nameVi: 'Văn phòng Chính phủ', kind: 'government-office' },

  // ── Sectors (ngành) ───────────────────────────────────────────────────────────────────────
  // Moved under Bộ Tài chính from 01/03/2025 during the 2025 restructuring. This is from memory; the
  // searches did not confirm it. It does not affect the seed.
  { code: 'BHXH', name: 'Vietnam Social Security', nameVi: 'Bảo hiểm xã hội Việt Nam', kind: 'sector' },
  { code: 'NHCSXH', name: 'Vietnam Bank for Social Policies', nameVi: 'Ngân hàng Chính sách xã hội', kind: 'sector' },
  { code: 'NHPT', name: 'Vietnam Development Bank', nameVi: 'Ngân hàng Phát triển Việt Nam', kind: 'sector' },

  // ── 6 centrally-run cities (thành phố trực thuộc trung ương), from 01/07/2025 ──────────────
  { code: 'UBND-HN', name: "People's Committee of Hanoi", nameVi: 'Ủy ban nhân dân thành phố Hà Nội', kind: 'province' }, // not merged
  { code: 'UBND-HUE', name: "People's Committee of Hue City", nameVi: 'Ủy ban nhân dân thành phố Huế', kind: 'province' }, // not merged
  { code: 'UBND-HP', name: "People's Committee of Hai Phong City", nameVi: 'Ủy ban nhân dân thành phố Hải Phòng', kind: 'province' }, // Hải Phòng + Hải Dương
  { code: 'UBND-DN', name: "People's Committee of Da Nang City", nameVi: 'Ủy ban nhân dân thành phố Đà Nẵng', kind: 'province' }, // Đà Nẵng + Quảng Nam
  { code: 'UBND-HCM', name: "People's Committee of Ho Chi Minh City", nameVi: 'Ủy ban nhân dân Thành phố Hồ Chí Minh', kind: 'province' }, // TP.HCM + Bình Dương + Bà Rịa - Vũng Tàu
  { code: 'UBND-CT', name: "People's Committee of Can Tho City", nameVi: 'Ủy ban nhân dân thành phố Cần Thơ', kind: 'province' }, // Cần Thơ + Sóc Trăng + Hậu Giang

  // ── 28 provinces (tỉnh), from 01/07/2025 ─────────────────────────────────────────────────
  // Not merged (9 provinces; with Hà Nội and Huế above that makes the 11 unchanged units)
  { code: 'UBND-LCHAU', name: "People's Committee of Lai Chau Province", nameVi: 'Ủy ban nhân dân tỉnh Lai Châu', kind: 'province' },
  { code: 'UBND-DB', name: "People's Committee of Dien Bien Province", nameVi: 'Ủy ban nhân dân tỉnh Điện Biên', kind: 'province' },
  { code: 'UBND-SL', name: "People's Committee of Son La Province", nameVi: 'Ủy ban nhân dân tỉnh Sơn La', kind: 'province' },
  { code: 'UBND-LS', name: "People's Committee of Lang Son Province", nameVi: 'Ủy ban nhân dân tỉnh Lạng Sơn', kind: 'province' },
  { code: 'UBND-QNINH', name: "People's Committee of Quang Ninh Province", nameVi: 'Ủy ban nhân dân tỉnh Quảng Ninh', kind: 'province' },
  { code: 'UBND-TH', name: "People's Committee of Thanh Hoa Province", nameVi: 'Ủy ban nhân dân tỉnh Thanh Hóa', kind: 'province' },
  { code: 'UBND-NA', name: "People's Committee of Nghe An Province", nameVi: 'Ủy ban nhân dân tỉnh Nghệ An', kind: 'province' },
  { code: 'UBND-HT', name: "People's Committee of Ha Tinh Province", nameVi: 'Ủy ban nhân dân tỉnh Hà Tĩnh', kind: 'province' },
  { code: 'UBND-CB', name: "People's Committee of Cao Bang Province", nameVi: 'Ủy ban nhân dân tỉnh Cao Bằng', kind: 'province' },
  // Formed by merger (19 provinces)
  { code: 'UBND-TQ', name: "People's Committee of Tuyen Quang Province", nameVi: 'Ủy ban nhân dân tỉnh Tuyên Quang', kind: 'province' }, // Tuyên Quang + Hà Giang
  { code: 'UBND-LCAI', name: "People's Committee of Lao Cai Province", nameVi: 'Ủy ban nhân dân tỉnh Lào Cai', kind: 'province' }, // Lào Cai + Yên Bái
  { code: 'UBND-TNGUYEN', name: "People's Committee of Thai Nguyen Province", nameVi: 'Ủy ban nhân dân tỉnh Thái Nguyên', kind: 'province' }, // Thái Nguyên + Bắc Kạn
  { code: 'UBND-PT', name: "People's Committee of Phu Tho Province", nameVi: 'Ủy ban nhân dân tỉnh Phú Thọ', kind: 'province' }, // Phú Thọ + Vĩnh Phúc + Hòa Bình
  { code: 'UBND-BN', name: "People's Committee of Bac Ninh Province", nameVi: 'Ủy ban nhân dân tỉnh Bắc Ninh', kind: 'province' }, // Bắc Ninh + Bắc Giang
  { code: 'UBND-HY', name: "People's Committee of Hung Yen Province", nameVi: 'Ủy ban nhân dân tỉnh Hưng Yên', kind: 'province' }, // Hưng Yên + Thái Bình
  { code: 'UBND-NB', name: "People's Committee of Ninh Binh Province", nameVi: 'Ủy ban nhân dân tỉnh Ninh Bình', kind: 'province' }, // Ninh Bình + Hà Nam + Nam Định
  { code: 'UBND-QT', name: "People's Committee of Quang Tri Province", nameVi: 'Ủy ban nhân dân tỉnh Quảng Trị', kind: 'province' }, // Quảng Trị + Quảng Bình
  { code: 'UBND-QNGAI', name: "People's Committee of Quang Ngai Province", nameVi: 'Ủy ban nhân dân tỉnh Quảng Ngãi', kind: 'province' }, // Quảng Ngãi + Kon Tum
  { code: 'UBND-GL', name: "People's Committee of Gia Lai Province", nameVi: 'Ủy ban nhân dân tỉnh Gia Lai', kind: 'province' }, // Gia Lai + Bình Định
  { code: 'UBND-KH', name: "People's Committee of Khanh Hoa Province", nameVi: 'Ủy ban nhân dân tỉnh Khánh Hòa', kind: 'province' }, // Khánh Hòa + Ninh Thuận
  { code: 'UBND-LD', name: "People's Committee of Lam Dong Province", nameVi: 'Ủy ban nhân dân tỉnh Lâm Đồng', kind: 'province' }, // Lâm Đồng + Đắk Nông + Bình Thuận
  { code: 'UBND-DL', name: "People's Committee of Dak Lak Province", nameVi: 'Ủy ban nhân dân tỉnh Đắk Lắk', kind: 'province' }, // Đắk Lắk + Phú Yên
  { code: 'UBND-DNAI', name: "People's Committee of Dong Nai Province", nameVi: 'Ủy ban nhân dân tỉnh Đồng Nai', kind: 'province' }, // Đồng Nai + Bình Phước
  { code: 'UBND-TNINH', name: "People's Committee of Tay Ninh Province", nameVi: 'Ủy ban nhân dân tỉnh Tây Ninh', kind: 'province' }, // Tây Ninh + Long An
  { code: 'UBND-VL', name: "People's Committee of Vinh Long Province", nameVi: 'Ủy ban nhân dân tỉnh Vĩnh Long', kind: 'province' }, // Vĩnh Long + Bến Tre + Trà Vinh
  { code: 'UBND-DT', name: "People's Committee of Dong Thap Province", nameVi: 'Ủy ban nhân dân tỉnh Đồng Tháp', kind: 'province' }, // Đồng Tháp + Tiền Giang
  { code: 'UBND-CM', name: "People's Committee of Ca Mau Province", nameVi: 'Ủy ban nhân dân tỉnh Cà Mau', kind: 'province' }, // Cà Mau + Bạc Liêu
  { code: 'UBND-AG', name: "People's Committee of An Giang Province", nameVi: 'Ủy ban nhân dân tỉnh An Giang', kind: 'province' }, // An Giang + Kiên Giang
];
