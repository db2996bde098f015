/**
 * Asia/Ho_Chi_Minh local date and time of a UTC instant, without luxon, so workflow code (whose
 * bundle stays small and deterministic) can use it too. Viet Nam has kept UTC+7 without DST since 1975.
 */
const VN_OFFSET_MS = 7 * 3_600_000;

/** 'YYYY-MM-DD' local date of an ISO instant. */
export const vietnamDate = (iso: string): string => new Date(Date.parse(iso) + VN_OFFSET_MS).toISOString().slice(0, 10);

/** 'YYYY-MM-DD HH:mm' local date and time of an ISO instant, for messages people read. */
export const vietnamDateTime = (iso: string): string => new Date(Date.parse(iso) + VN_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
