import createHttpError from 'http-errors';
import { z } from 'zod';
import { DEADLINE_UNITS } from '../domain/calendar/index.js';
import { CLOCK_KINDS } from '../workflows/sla.definitions.js';
import { MAX_YEAR, MIN_YEAR, localMidnightMs } from '../domain/calendar/dates.js';
import { vietnamDate } from '../domain/calendar/local-time.js';

/**
 * Response schemas shared by every process route: one SLA clock shape (the workflow's
 * `SlaClock`, as its `slaClocks` query returns it) so that every case shows its deadlines alike.
 */
export const slaClockSchema = z
  .object({
    key: z.string(),
    article: z.string(),
    /** The rule set the period and article come from (absent from clocks recorded before rule sets existed: the 2020 baseline). */
    ruleSetId: z.string().optional(),
    step: z.string(),
    stepVi: z.string(),
    owner: z.string(),
    ownerKind: z.enum(['agency', 'vpcp', 'bank', 'citizen']),
    /** Only `regulated` clocks count against their owner; `projectRule` and `citizenWait` clocks are shown, never counted. */
    kind: z.enum(CLOCK_KINDS),
    stage: z.string(),
    amount: z.number().int(),
    unit: z.enum(DEADLINE_UNITS as [string, ...string[]]),
    startedAt: z.string(),
    dueAt: z.string(),
    dueLocal: z.string(),
    calendarVersion: z.number().int(),
    rule: z.string(),
    explanation: z.string(),
    explanationVi: z.string(),
    outcome: z.enum(['pending', 'met', 'breached', 'cancelled']),
    breachedAt: z.string().optional(),
    completedAt: z.string().optional(),
    completedBy: z.string().optional(),
    lateByMinutes: z.number().int().optional(),
    cancelReason: z.string().optional(),
    recomputations: z.array(z.object({ at: z.string(), by: z.string(), reason: z.string(), previousDueAt: z.string(), previousCalendarVersion: z.number().int() })),
    revision: z.number().int(),
  })
  .meta({ id: 'SlaClock' });

/** Paging of every list route: `?page` (1–100,000) and `?pageSize` (1–500). */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
};

/** The SQL window of a page. */
export const pageWindow = ({ page, pageSize }: { page: number; pageSize: number }) => ({ limit: pageSize, offset: (page - 1) * pageSize });

/** A page of a list: its items, how many match in all, and which page this is. */
export const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

// ── Input schemas shared by every route ──────────────────────────────────────────────────────
// Anything a route accepts ends up in a workflow's history and in PostgreSQL: what either would
// refuse (a NUL byte, a 30th of February, an integer beyond `integer`) is refused here, as a 400.

/**
 * Longest case id a route accepts. Ids are built from codes and references: a refund of a
 * reconciliation difference (`refund-discrepancy-<day>-<agency>-<bank>-<payment id>-<n>`) is the
 * longest, under 400 characters with the bounds the routes put on its parts.
 */
export const MAX_ID_LENGTH = 400;
/** Deepest nesting of a JSON body; real bodies (Temporal histories included) stay far below. */
export const MAX_JSON_DEPTH = 64;
/** PostgreSQL `integer`: a larger number would be a database error instead of an answer. */
export const MAX_INT4 = 2_147_483_647;

// C0 and C1 control characters (NUL, ESC, DEL…) and unpaired UTF-16 surrogates, which PostgreSQL
// text and UTF-8 payloads cannot hold faithfully.
const NO_CONTROLS = /^[^\p{Cc}\p{Cs}]*$/u;
const NO_CONTROLS_BUT_LINE_BREAKS = /^(?:[\t\n\r]|[^\p{Cc}\p{Cs}])*$/u;

/** One line of text, trimmed, `min`–`max` characters, without control characters. */
// A refinement, not a JSON-schema `pattern`: `\p{…}` classes are not portable to every OpenAPI
// consumer (schemathesis' generator, Python's re), and the rule is stated in the description.
const noControls = (s: string) => NO_CONTROLS.test(s);
const noControlsButLineBreaks = (s: string) => NO_CONTROLS_BUT_LINE_BREAKS.test(s);
const NO_CONTROLS_TEXT = 'text without control characters';
const NO_CONTROLS_BUT_LINE_BREAKS_TEXT = 'text without control characters other than tab and line breaks';

export const safeText = (max: number, min = 1) => z.string().trim().min(min).max(max).refine(noControls, NO_CONTROLS_TEXT).describe(NO_CONTROLS_TEXT);

/** Text that may span lines (tab, CR and LF allowed), trimmed, `min`–`max` characters. */
export const safeMultilineText = (max: number, min = 1) =>
  z.string().trim().min(min).max(max).refine(noControlsButLineBreaks, NO_CONTROLS_BUT_LINE_BREAKS_TEXT).describe(NO_CONTROLS_BUT_LINE_BREAKS_TEXT);

/** Content kept byte for byte (a signed document, a signature): not trimmed, line breaks allowed. */
export const verbatimText = (max: number) => z.string().min(1).max(max).refine(noControlsButLineBreaks, NO_CONTROLS_BUT_LINE_BREAKS_TEXT).describe(NO_CONTROLS_BUT_LINE_BREAKS_TEXT);

/** A code of an agency, bank, fee type or service: letters, digits, dot, dash, underscore. */
export const safeCode = (max = 64) => z.string().trim().regex(new RegExp(`^[A-Za-z0-9._-]{1,${max}}$`), `letters, digits, dot, dash, underscore; at most ${max}`);

/**
 * A case id in a path (the Temporal workflow id): 1–MAX_ID_LENGTH printable characters. Not
 * narrower: ids embed the banks' own transaction references.
 */
export const caseId = z.string().min(1).max(MAX_ID_LENGTH).refine(noControls, 'a case id without control characters').describe('a case id without control characters');

const yearInRange = (isoDate: string) => {
  const year = Number(isoDate.slice(0, 4));
  return year >= MIN_YEAR && year <= MAX_YEAR;
};
const yearMessage = `a date in the years the working calendar covers (${MIN_YEAR}-${MAX_YEAR})`;

/**
 * A real calendar date YYYY-MM-DD (2026-02-30 and 2026-13-45 are refused: zod's ISO date format
 * knows month lengths and leap years), in the years the working calendar covers, since every
 * date the API takes may start or move an SLA clock.
 */
export const realDate = z.iso.date({ error: 'a real calendar date YYYY-MM-DD', abort: true }).refine(yearInRange, yearMessage);

/** An ISO 8601 instant with its offset (Z or ±hh:mm), in the years the working calendar covers. */
export const instant = z.iso.datetime({ offset: true, error: 'an ISO 8601 instant with offset, e.g. 2026-03-02T08:00:00+07:00', abort: true })
  .refine((s) => yearInRange(vietnamDate(s)), yearMessage);

/**
 * A bound of a time range: an instant, or a plain date meaning the start (`from`) or the end
 * (`to`, inclusive) of that day in Viet Nam. Either way the route receives an instant.
 */
export const dateOrInstant = (edge: 'from' | 'to') =>
  z.union([
    instant,
    realDate.transform((date) => new Date(localMidnightMs(date) + (edge === 'to' ? 86_400_000 - 1 : 0)).toISOString()),
  ]);

/** A whole number in [min, max] in a JSON body. */
export const boundedInt = (min: number, max: number) => z.number().int().min(min).max(max);

/** A whole number in [min, max] in a path or query string (coerced from its text). */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Whether a JSON text nests objects/arrays deeper than `max`: one pass over the text, before it is parsed. */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

// ── Keyset paging (issue 18.3) ─────────────────────────────────────────────────────────────────
// The one paging mechanism of the lists: a page ends with `nextCursor` (null on the last page), an
// opaque base64url text of the last item's sort key and id; `?cursor=<it>` asks for the items after
// it. The query reads the next `pageSize` rows from where the index left off, so page 10,000 costs
// what page 1 costs (OFFSET reads and throws away every row before the page). `?page` keeps working
// (OFFSET) for existing callers; with `cursor`, `page` is ignored.

/** A value of a sort key in a cursor: instants as ISO strings. */
export type CursorPart = string | number | boolean | null;

/** Longest cursor accepted: a timestamp and two ids at their longest, base64url. */
export const MAX_CURSOR_LENGTH = 1_500;

export const encodeCursor = (key: readonly CursorPart[]): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

const CURSOR_TEXT = 'a cursor from a previous page (its nextCursor)';

/**
 * `?cursor` of a list whose sort key (then id) is `key` (a tuple schema). Anything but a cursor
 * this API wrote for that list (not base64url, not JSON, the wrong parts) is a 400 problem.
 */
export const cursorParam = <T extends z.ZodType>(key: T) =>
  z.string().max(MAX_CURSOR_LENGTH).regex(/^[A-Za-z0-9_-]+$/, CURSOR_TEXT).transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      value = undefined;
    }
    const parsed = key.safeParse(value);
    if (parsed.success) return parsed.data as z.output<T>;
    ctx.addIssue({ code: 'custom', message: CURSOR_TEXT });
    return z.NEVER;
  }).describe(CURSOR_TEXT);

/** Sort-key parts of cursors: an instant (ISO, as written by `encodeCursor`), a date, an id. */
export const cursorInstant = z.iso.datetime({ offset: true });
export const cursorDate = z.iso.date();
export const cursorId = z.string().min(1).max(MAX_ID_LENGTH);

/**
 * One page of a keyset list, from rows read with `limit: pageSize + 1` (the extra row only says
 * that a next page exists): the page's items and the cursor after its last item.
 */
export function keysetPage<T>(rows: T[], pageSize: number, key: (row: T) => readonly CursorPart[]): { items: T[]; nextCursor: string | null } {
  const items = rows.length > pageSize ? rows.slice(0, pageSize) : rows;
  return { items, nextCursor: rows.length > pageSize ? encodeCursor(key(items.at(-1)!)) : null };
}

/**
 * Deepest `?page` OFFSET a list reads (project rule, issue 18.3): an OFFSET reads every row before
 * the page (430 ms at 100,000 here), so rows past the first 10,000 are reached by `?cursor` only —
 * every list query the API runs stays bounded. Deeper is a 400 `validation` problem naming the cursor.
 */
export const MAX_PAGE_OFFSET = 10_000;

/**
 * The SQL window of a list page: one row more than the page (it only says whether a next page
 * exists), after the cursor (keyset) or, without one, at `?page`'s OFFSET (at most `MAX_PAGE_OFFSET`).
 */
export function cursorWindow<C>({ page, pageSize, cursor }: { page: number; pageSize: number; cursor?: C }): { limit: number; offset: number; after?: C } {
  if (cursor) return { limit: pageSize + 1, offset: 0, after: cursor };
  const offset = (page - 1) * pageSize;
  if (offset > MAX_PAGE_OFFSET) {
    throw createHttpError(400, `page ${page} of ${pageSize} starts after row ${MAX_PAGE_OFFSET.toLocaleString('en-US')}: follow nextCursor (?cursor=) to page deeper`, {
      problemKind: 'validation', problemErrors: [{ path: 'page', message: `(page - 1) × pageSize must be at most ${MAX_PAGE_OFFSET}; page deeper with ?cursor` }], expose: true,
    });
  }
  return { limit: pageSize + 1, offset };
}

/**
 * A keyset page: `nextCursor` added to `paged`. `total` is given on the first page (no cursor)
 * and left out on the pages after it (the caller has it; counting again on every page would cost
 * each page what the first costs).
 */
export const cursorPaged = <T extends z.ZodType>(item: T) =>
  paged(item).extend({
    total: z.number().int().optional(),
    /** True when `total` is an estimate: lists whose exact count would cost more than the page itself say so (per list). */
    totalEstimated: z.boolean().optional(),
    /** Pass as `?cursor=` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  });
