import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import type { Actor } from '../../api/auth.js';
import { encodeCursor, type CursorPart } from '../../api/schemas.js';
import { dvcttServices, payments } from '../../db/schema/index.js';
import { startedPaymentView } from '../../domain/payments/types.js';
import { upsertPayment } from '../../db/queries/payment.js';
import { apiUnderTest } from '../support/api.js';

/**
 * Hostile review of the keyset lists (issue 18.3): whatever a caller puts in `?cursor`, `?pageSize`,
 * `?limit` or `?page`, the answer is a page or a 400 `validation` problem — never a 500 — and a walk
 * whose filter or cursor is tampered with never repeats or skips a row of what it does list.
 */
const tag = randomUUID().slice(0, 8).toUpperCase();
const agency = `HR-${tag}`;

type Shape = 'instantId' | 'instantUuid' | 'instantIdId' | 'dateId' | 'id' | 'intId' | 'intInt' | 'instantLongId';

const LISTS: [url: string, shape: Shape, actor: 'vpcp' | 'public'][] = [
  ['/v1/payments', 'instantId', 'vpcp'],
  ['/v1/refunds', 'instantId', 'vpcp'],
  ['/v1/accounts/issues', 'instantId', 'vpcp'],
  ['/v1/operations/support-requests', 'instantId', 'vpcp'],
  ['/v1/operations/maintenance', 'instantId', 'vpcp'],
  ['/v1/operations/outages', 'instantId', 'vpcp'],
  ['/v1/evaluation/runs', 'instantId', 'vpcp'],
  ['/v1/feedback', 'instantId', 'vpcp'],
  ['/v1/feedback/published', 'instantId', 'public'],
  ['/v1/tthc/reviews', 'instantId', 'public'],
  ['/v1/tthc/decisions', 'dateId', 'vpcp'],
  ['/v1/tthc/published-decisions', 'dateId', 'public'],
  ['/v1/tthc/procedures', 'id', 'public'],
  ['/v1/notifications', 'instantLongId', 'vpcp'],
  ['/v1/permissions/grants', 'instantUuid', 'vpcp'],
  ['/v1/dvctt/services', 'instantId', 'vpcp'],
  ['/v1/dvctt/reports/rounds', 'intId', 'vpcp'],
  ['/v1/dvctt/reports/breaches', 'instantIdId', 'vpcp'],
  ['/v1/supervision/breaches', 'instantIdId', 'vpcp'],
  ['/v1/supervision/due-soon', 'instantIdId', 'vpcp'],
  ['/v1/supervision/consistency', 'intInt', 'vpcp'],
];

const INSTANTS = [
  '2026-03-02T01:00:00.000Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1969-12-31T23:59:59Z',
  '2026-02-30T00:00:00Z', '2026-03-02T08:00:00.123456789+07:00', '2026-03-02T08:00:00+23:59', '2026-03-02T08:00:00-23:59', '2026-13-01T00:00:00Z',
];
const IDS = ['a\u0000b', 'x'.repeat(200), 'x'.repeat(400), 'x'.repeat(401), '漢字😀ä\u202e', '\ud800', '\udfff\ud800', '', ' ', '\u0085', 'a\u007fb', "'; drop table payments; --"];
const DATES = ['2026-03-02', '0000-01-01', '0001-01-01', '9999-12-31', '2026-02-29', '2028-02-29', '2026-02-30'];
const INTS = [0, 1, -1, 2_147_483_647, 2_147_483_648, 1.5, 1e308, Number.MAX_SAFE_INTEGER, '1'];
const UUIDS = [randomUUID(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'FFFFFFFF-FFFF-4FFF-8FFF-FFFFFFFFFFFF'];

function cursorsOf(shape: Shape): CursorPart[][] {
  const pairs = <A extends CursorPart, B extends CursorPart>(as: readonly A[], bs: readonly B[]) => as.flatMap((a) => bs.map((b) => [a, b] as CursorPart[]));
  const base: CursorPart[][] = [[], [null], [null, null], ['2026-03-02T01:00:00.000Z', 'x', 'y', 'z'], [true, 'x']];
  switch (shape) {
    case 'instantId': case 'instantLongId': return [...base, ...pairs(INSTANTS, ['x']), ...pairs([INSTANTS[0]!], IDS), ...(shape === 'instantLongId' ? [[INSTANTS[0]!, 'x'.repeat(1000)]] : [])];
    case 'instantUuid': return [...base, ...pairs(INSTANTS, UUIDS.slice(0, 1)), ...pairs([INSTANTS[0]!], [...UUIDS, ...IDS])];
    case 'instantIdId': return [...base, ...pairs(INSTANTS, ['x']).map((c) => [...c, 'k']), ...pairs([INSTANTS[0]!], IDS).map((c) => [...c, 'k']), ...IDS.map((id) => [INSTANTS[0]!, 'x', id])];
    case 'dateId': return [...base, ...pairs(DATES, ['x']), ...pairs([DATES[0]!], IDS), ...pairs(INSTANTS.slice(0, 1), ['x'])];
    case 'id': return [...base, ...IDS.map((id) => [id]), ['x', 'y']];
    case 'intId': return [...base, ...pairs(INTS, ['x']), ...pairs([3], IDS)];
    case 'intInt': return [...base, ...pairs(INTS, [0]), ...pairs([1], INTS)];
  }
}

describe('hostile review: keyset cursors and paging parameters on every list (issue 18.3)', () => {
  const api = apiUnderTest();
  const { cleanup, get } = api;
  const actors: Record<'vpcp' | 'public', Actor | undefined> = { vpcp: { userId: `hostile-vpcp-${tag}`, role: 'vpcp', agency: 'VPCP' }, public: undefined };

  /**
   * A page, or a 400 `validation` problem; nothing else. The one documented exception (README, SPEC §3
   * consistency checker): a consistency cursor naming a run this scope does not keep is a 404
   * `not-found` problem ("start again from the first page"), since a forged run id cannot be told
   * from a forgotten one.
   */
  function expectPageOrValidation(res: Awaited<ReturnType<typeof get>>, what: string) {
    const allowed = what.startsWith('/v1/supervision/consistency') ? [200, 400, 404] : [200, 400];
    expect(allowed, `${what}: ${res.statusCode} ${res.body.slice(0, 300)}`).toContain(res.statusCode);
    if (res.statusCode === 400) expect(res.json().type, what).toBe('urn:dvcqg:problem:validation');
    if (res.statusCode === 404) expect(res.json().type, what).toBe('urn:dvcqg:problem:not-found');
  }

  it('issue 18.3: a cursor of the right shape with hostile parts (NUL, unpaired surrogates, 400-char ids, years 0 and 9999, 30 February, ±23:59 offsets, out-of-range numbers) is a page or a 400 validation problem on every list, never a 500', async () => {
    for (const [url, shape, who] of LISTS) {
      for (const parts of cursorsOf(shape)) {
        const res = await get(`${url}?cursor=${encodeCursor(parts)}`, actors[who]);
        expectPageOrValidation(res, `${url} ${JSON.stringify(parts).slice(0, 80)}`);
      }
    }
  });

  it('issue 18.3: cursor texts that are not base64url JSON (padding, +/, percent-encoded NUL, unicode, empty, one past the length cap) are 400 validation problems on every list', async () => {
    const texts = ['', '=', 'eyJ9', 'WyJ4Il0=', 'a+b/c', '%00', '%C3%A9', encodeURIComponent('😀'), 'A'.repeat(1_501), encodeURIComponent(Buffer.from('["x"]').toString('base64') + '\u0000')];
    for (const [url, , who] of LISTS) {
      for (const text of texts) {
        const res = await get(`${url}?cursor=${text}`, actors[who]);
        // An empty `?cursor=` may be read as "no cursor" (the first page): a page or a 400, never a 500.
        expectPageOrValidation(res, `${url} cursor=${text.slice(0, 30)}`);
        if (text !== '') expect(res.statusCode, `${url} cursor=${text.slice(0, 30)}`).toBe(400);
      }
    }
  });

  it('issue 18.3: hostile page sizes and limits (NaN, negative, zero, huge, fractional, hex, exponent, non-ASCII digits, repeated) are a page or a 400 validation problem, and never more rows than 500', async () => {
    const values = ['NaN', '-1', '0', '501', '1e9', '1e400', 'Infinity', '-Infinity', '1.5', '0x10', '1e2', ' 5', '١٢', '', 'null', '[]', '9007199254740993'];
    for (const [url, , who] of LISTS) {
      const param = url === '/v1/payments' || url === '/v1/refunds' ? 'limit' : 'pageSize';
      for (const value of values) {
        const res = await get(`${url}?${param}=${encodeURIComponent(value)}`, actors[who]);
        expectPageOrValidation(res, `${url} ${param}=${value}`);
        if (res.statusCode === 200) {
          const body = res.json() as { items?: unknown[]; findings?: { items: unknown[] } };
          expect((body.items ?? body.findings?.items ?? []).length).toBeLessThanOrEqual(500);
        }
      }
      expectPageOrValidation(await get(`${url}?${param}=5&${param}=6`, actors[who]), `${url} repeated ${param}`);
      for (const page of ['0', '-1', 'NaN', '100001', '1e5', '2.5']) expectPageOrValidation(await get(`${url}?page=${page}`, actors[who]), `${url} page=${page}`);
    }
  });

  it('issue 18.3: with a cursor, `?page` is ignored (even the deepest), a cursor from another list positions this one, and a filter changed between pages gives the changed filter\'s rows after the cursor — each once, none skipped', async () => {
    const at = ['2026-05-05T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-04T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-01T01:00:00.000Z', '2026-04-30T01:00:00.000Z'];
    const views = at.map((createdAt, i) => startedPaymentView(`payment-${agency}-${i}`, {
      agency, requestRef: String(i), dossierCode: `H-${i}`, feeTypeCode: 'LEPHI', amount: 1_000 + i, beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111', name: 'KBNN' },
    }, createdAt));
    for (const view of views) await upsertPayment(api.database.db, view);
    cleanup.push(() => api.database.db.delete(payments).where(inArray(payments.id, views.map((v) => v.paymentId))));
    const vpcp = actors.vpcp!;
    const order = [0, 2, 1, 3, 4, 5].map((i) => `payment-${agency}-${i}`);
    const page = async (query: string) => {
      const res = await get(`/v1/payments?agency=${agency}&${query}`, vpcp);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { paymentId: string }[]; nextCursor: string | null };
    };
    const first = await page('limit=2');
    expect(first.items.map((p) => p.paymentId)).toEqual(order.slice(0, 2));
    // A cursor with `?page` (any, even past the OFFSET cap): the cursor wins.
    for (const p of ['2', '100000']) {
      expect((await page(`limit=2&cursor=${first.nextCursor}&page=${p}`)).items.map((i) => i.paymentId)).toEqual(order.slice(2, 4));
    }
    // The filter changed between pages (a status no row has, then back): the changed filter after the cursor.
    expect((await page(`limit=2&status=settled&cursor=${first.nextCursor}`)).items).toEqual([]);
    // A cursor written by another list of the same shape (refunds: created instant, id) positions this one by its key.
    const foreign = encodeCursor(['2026-05-04T01:00:00.000Z', `payment-${agency}-2`]);
    expect((await page(`limit=10&cursor=${foreign}`)).items.map((i) => i.paymentId)).toEqual(order.slice(2));
    // The same instant with an offset: the same position (instants compare as instants, not as text).
    const offset = encodeCursor(['2026-05-04T08:00:00.000+07:00', `payment-${agency}-2`]);
    expect((await page(`limit=10&cursor=${offset}`)).items.map((i) => i.paymentId)).toEqual(order.slice(2));
    // A cursor between two rows (an id no row has: between -2 and -1 in text order) starts after the position, skipping nothing.
    const between = encodeCursor(['2026-05-04T01:00:00.000Z', `payment-${agency}-15`]);
    expect((await page(`limit=10&cursor=${between}`)).items.map((i) => i.paymentId)).toEqual(order.slice(2));
    // A cursor with a sub-millisecond instant just after a row's: that row is still listed.
    const micro = encodeCursor(['2026-05-03T01:00:00.000001Z', '']);
    expect((await get(`/v1/payments?agency=${agency}&cursor=${micro}`, vpcp)).statusCode).toBe(400);
    const microAfter = encodeCursor(['2026-05-03T01:00:00.000001Z', 'a']);
    expect((await page(`limit=10&cursor=${microAfter}`)).items.map((i) => i.paymentId)).toEqual(order.slice(3));
  });

  it('issue 18.3 (README "Lists page by keyset cursor": every list): DVCTT services give `total` (exact up to 10,000, `totalEstimated`) on the first page only, none after a cursor, and the walk lists every service once', async () => {
    const codes = [0, 1, 2, 3, 4].map((i) => `svc-${tag}-${i}`);
    const at = ['2026-05-01T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-02T01:00:00.000Z', '2026-05-03T01:00:00.000Z', '2026-05-04T01:00:00.000Z'];
    await api.database.db.insert(dvcttServices).values(codes.map((code, i) => ({
      code, name: 'Dịch vụ', tthcCode: `TTHC-${tag}`, agency: 'BTP', level: 3, declaredBy: 'agency/BTP/hostile', workflowId: `dvctt-${code}`, statusChangedAt: new Date(at[i]!),
    })));
    cleanup.push(() => api.database.db.delete(dvcttServices).where(inArray(dvcttServices.code, codes)));
    const pages: { items: { code: string }[]; total?: number; totalEstimated?: boolean; nextCursor: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/dvctt/services?tthcCode=TTHC-${tag}&pageSize=2${cursor ? `&cursor=${cursor}` : ''}`, actors.vpcp);
      expect(res.statusCode, res.body).toBe(200);
      pages.push(res.json());
      cursor = pages.at(-1)!.nextCursor;
    } while (cursor && pages.length < 10);
    // Longest in its status first (the stuck ones), ties in code order.
    expect(pages.flatMap((p) => p.items.map((i) => i.code))).toEqual(codes);
    expect(pages[0]).toMatchObject({ total: 5, totalEstimated: false });
    expect(pages.slice(1).map((p) => ['total', 'totalEstimated'].filter((k) => k in p))).toEqual(pages.slice(1).map(() => []));
  });
});
