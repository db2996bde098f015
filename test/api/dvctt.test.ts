import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { findService } from '../../db/queries/dvctt.js';
import { publishDecision } from '../../db/queries/tthc.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import type { DecisionItem } from '../../workflows/tthc.definitions.js';
import { fullContent, provincialBasis, tthcTestCode } from '../fixtures/tthc-content.js';
import { bearer, testConfig, uniqueId } from '../support/env.js';

const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const bca: Actor = { userId: 'officer-bca', role: 'agency', agency: 'BCA' };
const vpcp: Actor = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };
const hanoi: Actor = { userId: 'officer-hn', role: 'agency', agency: 'UBND-HN' };
const hcm: Actor = { userId: 'officer-hcm', role: 'agency', agency: 'UBND-HCM' };

describe('DVCTT service register (Art 27.1, 28.1)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;

  /** BTP's published TTHC (the catalogue as its publication transaction writes it). */
  const btpTthc = tthcTestCode('1');
  const publish = (agency: string, items: DecisionItem[], agencyKind: 'ministry' | 'province' = 'ministry') => {
    const decisionId = uniqueId(`${agency}.dec`);
    return publishDecision(database.db, { decisionId, workflowId: `wf-${decisionId}`, agency, agencyKind, items, signedOn: '2026-02-01', effectiveOn: '2026-03-01' });
  };

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL, { max: 2 });
    app = await buildApp(config, { db: database.db }, false);
    await publish('BTP', [{ kind: 'new', code: btpTthc, content: fullContent('Đăng ký khai sinh') }]);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const declaration = (code: string, overrides: Record<string, unknown> = {}) => ({ code, name: 'Đăng ký khai sinh', tthcCode: btpTthc, agency: 'BTP', level: 3, ...overrides });
  const post = async (actor: Actor | undefined, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url: `/v1/dvctt${url}`, payload: payload as object, headers: actor ? { authorization: await bearer(config, actor) } : {} });

  it('Art 27.1: an agency declares its level 3/4 service once; the same declaration again is an idempotent replay', async () => {
    const code = uniqueId('DVC');
    const first = await post(btp, '/services', declaration(code));
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ code, status: 'declared', level: 3, declaredBy: 'officer-btp', currentRound: null });
    expect((await post(btp, '/services', declaration(code))).statusCode).toBe(200);
    const changed = await post(btp, '/services', declaration(code, { level: 4 }));
    expect(changed.statusCode).toBe(409);
    expect((await findService(database.db, code))?.level).toBe(3);
  });

  it('Art 27.1: only level 3 and 4 services with a TTHC code of a known agency are declared', async () => {
    expect((await post(btp, '/services', declaration(uniqueId('DVC'), { level: 2 }))).statusCode).toBe(400);
    expect((await post(btp, '/services', declaration(uniqueId('DVC'), { tthcCode: '' }))).statusCode).toBe(400);
    const unknown = await post({ ...btp, agency: 'NOPE' }, '/services', declaration(uniqueId('DVC'), { agency: 'NOPE' }));
    expect(unknown.statusCode).toBe(422);
  });

  it('Art 27.1, 28.1: a service is declared only for a published TTHC of the declaring agency, or a central one it localized — otherwise 422 with the reason', async () => {
    const refused = async (actor: Actor, body: object, reason: RegExp) => {
      const res = await post(actor, '/services', body);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().detail).toMatch(reason);
      expect(await findService(database.db, (body as { code: string }).code)).toBeUndefined();
    };
    await refused(btp, declaration(uniqueId('DVC'), { tthcCode: tthcTestCode('9') }), /not in the National TTHC Database/);
    const bcaTthc = tthcTestCode('2');
    await publish('BCA', [{ kind: 'new', code: bcaTthc, content: fullContent('Cấp hộ chiếu') }]);
    await refused(btp, declaration(uniqueId('DVC'), { tthcCode: bcaTthc }), /published by BCA; BTP declares online services only for its own TTHCs or those it localized/);
    expect((await post(bca, '/services', declaration(uniqueId('DVC'), { tthcCode: bcaTthc, agency: 'BCA' }))).statusCode).toBe(201);

    // A province declares for the central TTHC it localized (or its copy), not for one it did not localize.
    await publish('UBND-HN', [{ kind: 'localized', centralCode: btpTthc, local: { place: 'Hà Nội', legalBasis: provincialBasis() } }], 'province');
    expect((await post(hanoi, '/services', declaration(uniqueId('DVC'), { agency: 'UBND-HN' }))).statusCode).toBe(201);
    expect((await post(hanoi, '/services', declaration(uniqueId('DVC'), { agency: 'UBND-HN', tthcCode: `${btpTthc}@UBND-HN` }))).statusCode).toBe(201);
    await refused(hcm, declaration(uniqueId('DVC'), { agency: 'UBND-HCM' }), /published by BTP; UBND-HCM declares/);

    // A repealed TTHC takes no new service; a declaration made before is still answered as made.
    const repealed = tthcTestCode('3');
    await publish('BTP', [{ kind: 'new', code: repealed, content: fullContent('Cấp giấy xác nhận') }]);
    const before = uniqueId('DVC');
    expect((await post(btp, '/services', declaration(before, { tthcCode: repealed }))).statusCode).toBe(201);
    await publish('BTP', [{ kind: 'repealed', code: repealed }]);
    await refused(btp, declaration(uniqueId('DVC'), { tthcCode: repealed }), /was repealed/);
    expect((await post(btp, '/services', declaration(before, { tthcCode: repealed }))).statusCode).toBe(200);
    // Art 28.1: nor does a service whose TTHC was repealed enter the test loop.
    const propose = await post(btp, `/services/${before}/propose`, {});
    expect(propose.statusCode).toBe(409);
    expect(propose.json().detail).toMatch(new RegExp(`TTHC ${repealed} was repealed`));
  });

  it('Art 27.1: an agency declares only its own services, and VPCP does not declare for it — 403, nothing written', async () => {
    const code = uniqueId('DVC');
    expect((await post(bca, '/services', declaration(code))).statusCode).toBe(403);
    expect((await post(vpcp, '/services', declaration(code))).statusCode).toBe(403);
    expect((await post(undefined, '/services', declaration(code))).statusCode).toBe(401);
    expect(await findService(database.db, code)).toBeUndefined();
  });

  it('Art 28.1: only a declared service may enter the loop (404 otherwise); a declared one is not yet available for dossiers', async () => {
    const missing = await post(btp, `/services/${uniqueId('DVC')}/propose`, {});
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const code = uniqueId('DVC');
    const tthcCode = tthcTestCode('1');
    await publish('BTP', [{ kind: 'new', code: tthcCode, content: fullContent('Đăng ký kết hôn') }]);
    expect((await post(btp, '/services', declaration(code, { tthcCode }))).statusCode).toBe(201);
    const availability = await app.inject({ method: 'GET', url: `/v1/dvctt/services/${code}/availability`, headers: { authorization: await bearer(config, vpcp) } });
    expect(availability.json()).toMatchObject({ status: 'declared', acceptsNewDossiers: false });
    const listed = async (actor: Actor) =>
      (await app.inject({ method: 'GET', url: `/v1/dvctt/services?status=declared&tthcCode=${tthcCode}`, headers: { authorization: await bearer(config, actor) } })).json();
    // Agencies list only their own services: BCA does not see BTP's, BTP and VPCP do.
    expect(await listed(bca)).toMatchObject({ items: [], total: 0 });
    expect((await listed(btp)).items.map((s: { code: string }) => s.code)).toEqual([code]);
    expect((await listed(vpcp)).items.map((s: { code: string; agency: string }) => [s.code, s.agency])).toEqual([[code, 'BTP']]);
  });
});
