import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { listCalendarVersions, loadCalendarVersion } from '../../db/queries/calendar.js';
import type { DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

// Calendar writes change the run's shared calendar: they only touch dates in 2099, far from every
// other test's clocks.
describe('calendar API', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };
  const officer: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const auditor: Actor = { userId: uniqueId('auditor'), role: 'auditor' };
  const as = (actor: Actor) => bearer(config, actor).then((authorization) => ({ authorization }));

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const get = async (url: string, actor: Actor = officer) => app.inject({ method: 'GET', url, headers: await as(actor) });

  describe('reading', () => {
    it('SPEC §2: the official Tết 2026 span (Thông báo 9441) and its weekends are rest days, with their reasons', async () => {
      const res = await get('/v1/calendar/days?from=2026-02-13&to=2026-02-23');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.days).toHaveLength(11);
      expect(body.workingDays).toBe(2);
      const byDate = Object.fromEntries(body.days.map((d: { date: string }) => [d.date, d]));
      expect(byDate['2026-02-13'].working).toBe(true);
      expect(byDate['2026-02-14'].reasons[0].code).toBe('weekend');
      expect(byDate['2026-02-17'].working).toBe(false);
      expect(byDate['2026-02-17'].reasons[0]).toMatchObject({ code: 'officialDayOff', source: expect.stringContaining('9441') });
      expect(byDate['2026-02-23'].working).toBe(true);
    });

    it('Civil Code 2015 Art 148: 3 working days after 12 Feb 2026 end on 24 Feb, skipping Tết, explained in English and Vietnamese', async () => {
      const res = await get('/v1/calendar/deadline?from=2026-02-12T10:00:00%2B07:00&amount=3&unit=workingDays');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.dueAt).toBe('2026-02-24T16:59:59.999Z');
      expect(body.dueLocal).toBe('2026-02-24T23:59:59.999+07:00');
      expect(body.explanation.countedDays).toEqual(['2026-02-13', '2026-02-23', '2026-02-24']);
      expect(body.explanation.skipped.map((s: { date: string }) => s.date)).toContain('2026-02-17');
      expect(body.explanation.summary).toContain('skipped 2026-02-14..2026-02-22');
      expect(body.explanation.summaryVi).toContain('bỏ qua 2026-02-14..2026-02-22');
      expect(body.rule).toMatch(/Civil Code 2015 Art 147/);
      expect(body.calendarVersion).toBeGreaterThanOrEqual(1);
    });

    it('Civil Code 2015 Art 148.5: a calendar-day period ending on a rest day ends with the next working day', async () => {
      // 20 days after 2026-04-06 is Sunday 26 Apr (Hùng Kings' day); Mon 27 Apr is its compensation day.
      const res = await get('/v1/calendar/deadline?from=2026-04-06T09:00:00Z&amount=20&unit=calendarDays');
      expect(res.statusCode).toBe(200);
      expect(res.json().dueAt).toBe('2026-04-28T16:59:59.999Z');
    });

    it('a deadline can be computed on a past calendar version, which it names', async () => {
      const res = await get('/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=1&unit=settlementDay&version=1');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ calendarVersion: 1, dueAt: '2026-02-13T16:59:59.999Z', unit: 'settlementDay' });
      expect((await get('/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=1&unit=workingDays&version=999999')).statusCode).toBe(404);
    });

    it('Labour Code 2019 Art 112: the holidays of a year are computed, lunar ones included', async () => {
      const res = await get('/v1/calendar/holidays/2030');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.official).toBe(false);
      const codes = body.holidays.map((h: { date: string; code: string }) => `${h.date} ${h.code}`);
      // Tết Canh Tuất: lunar 1/1 = 3 Feb 2030; Hùng Kings' day (lunar 3/10) = 12 Apr 2030.
      expect(codes).toContain('2030-02-03 tet');
      expect(codes).toContain('2030-04-12 hungKings');
      expect(codes).toContain('2030-09-02 nationalDay');
      expect(body.holidays).toHaveLength(11);
      const official = (await get('/v1/calendar/holidays/2026')).json();
      expect(official.official).toBe(true);
      expect(official.overrides.some((o: { source: string }) => o.source.includes('9441'))).toBe(true);
    });

    it('lists the versions and reads any version back in full', async () => {
      const list = (await get('/v1/calendar/versions', auditor)).json();
      expect(list.items.at(-1)).toMatchObject({ version: 1, createdBy: 'system', change: expect.stringContaining('seed') });
      const v1 = await get('/v1/calendar/versions/1', auditor);
      expect(v1.statusCode).toBe(200);
      expect(v1.json().officialYears).toEqual([2025, 2026]);
      expect(v1.json().workingHours).toEqual([{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
      expect(v1.json().overrides.length).toBeGreaterThan(10);
      expect((await get('/v1/calendar/versions/999999')).statusCode).toBe(404);
    });

    it('the calendar and supervision routes are in the OpenAPI document generated from their schemas', async () => {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
        '/v1/calendar/deadline', '/v1/calendar/years/{year}', '/v1/supervision/breaches', '/v1/supervision/recompute-clocks',
      ]));
      const units = doc.paths['/v1/calendar/deadline'].get.parameters.find((p: { name: string }) => p.name === 'unit');
      expect(units.schema.enum).toEqual(['workingDays', 'calendarDays', 'workingHours', 'settlementDay', 'hours']);
    });

    it('requires a token to read', async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/calendar/versions' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('bad input is a 400 problem with errors[]', () => {
    const cases: [string, string][] = [
      ['unknown unit', '/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=3&unit=fortnights'],
      ['negative amount', '/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=-3&unit=workingDays'],
      ['zero amount', '/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=0&unit=workingDays'],
      ['non-integer amount', '/v1/calendar/deadline?from=2026-02-12T10:00:00Z&amount=1.5&unit=workingDays'],
      ['impossible date', '/v1/calendar/deadline?from=2026-02-30T10:00:00Z&amount=3&unit=workingDays'],
      ['instant without offset', '/v1/calendar/deadline?from=2026-02-12T10:00:00&amount=3&unit=workingDays'],
      ['deadline past the supported calendar', '/v1/calendar/deadline?from=2100-12-30T10:00:00Z&amount=5&unit=workingDays'],
      ['impossible day in a range', '/v1/calendar/days?from=2026-02-30&to=2026-03-02'],
      ['range too long', '/v1/calendar/days?from=2026-01-01&to=2029-12-31'],
      ['range backwards', '/v1/calendar/days?from=2026-03-02&to=2026-03-01'],
      ['year outside 1990-2100', '/v1/calendar/holidays/1989'],
    ];
    it.each(cases)('%s', async (_name, url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json();
      expect(body.type).toBe('urn:dvcqg:problem:validation');
      expect(body.errors.length).toBeGreaterThan(0);
    });
  });

  describe('writing (vpcp only; every change is a new version naming who, what and why)', () => {
    const dayOff = {
      date: '2099-03-03',
      kind: 'dayOff',
      name: 'Ad-hoc official day off (test)',
      nameVi: 'Ngày nghỉ đột xuất (kiểm thử)',
      source: 'Thông báo thử nghiệm 1/TB-TEST',
    };

    it('SPEC §2: an ad-hoc official day off is a new version, shifts working-day deadlines, and is removed by another version', async () => {
      const before = await loadCalendarVersion(database.db);
      const created = await app.inject({ method: 'POST', url: '/v1/calendar/overrides', headers: await as(vpcp), payload: dayOff });
      expect(created.statusCode).toBe(201);
      const version = created.json();
      expect(version.version).toBeGreaterThan(before!.version);
      expect(version.createdBy).toBe(vpcp.userId);
      expect(version.change).toContain('2099-03-03');
      expect(version.change).toContain('1/TB-TEST');

      const day = (await get('/v1/calendar/days?from=2099-03-03&to=2099-03-03')).json().days[0];
      expect(day.working).toBe(false);
      expect(day.reasons[0]).toMatchObject({ code: 'officialDayOff', source: dayOff.source });
      const deadline = (await get('/v1/calendar/deadline?from=2099-03-02T10:00:00%2B07:00&amount=1&unit=workingDays')).json();
      expect(deadline.dueAt).toBe('2099-03-04T16:59:59.999Z');
      // The version before the change still answers as it did.
      const older = (await get(`/v1/calendar/deadline?from=2099-03-02T10:00:00%2B07:00&amount=1&unit=workingDays&version=${before!.version}`)).json();
      expect(older.dueAt).toBe('2099-03-03T16:59:59.999Z');

      const duplicate = await app.inject({ method: 'POST', url: '/v1/calendar/overrides', headers: await as(vpcp), payload: dayOff });
      expect(duplicate.statusCode).toBe(409);

      const removed = await app.inject({ method: 'DELETE', url: '/v1/calendar/overrides/2099-03-03?reason=entered%20by%20mistake', headers: await as(vpcp) });
      expect(removed.statusCode).toBe(200);
      expect(removed.json().change).toContain('entered by mistake');
      expect((await get('/v1/calendar/days?from=2099-03-03&to=2099-03-03')).json().days[0].working).toBe(true);
      // History is kept: the version with the override still holds it.
      const past = (await get(`/v1/calendar/versions/${version.version}`)).json();
      expect(past.overrides.some((o: { date: string }) => o.date === '2099-03-03')).toBe(true);

      const again = await app.inject({ method: 'DELETE', url: '/v1/calendar/overrides/2099-03-03?reason=entered%20by%20mistake', headers: await as(vpcp) });
      expect(again.statusCode).toBe(404);
    });

    it('Labour Code 2019 Art 112.3: an official yearly schedule replaces the statutory defaults of that year', async () => {
      const statutory = (await get('/v1/calendar/holidays/2099')).json();
      const tet = statutory.holidays.filter((h: { code: string }) => h.code === 'tet').map((h: { date: string }) => h.date);
      expect(tet).toHaveLength(5);
      // An official schedule giving only the first three Tết days, plus a make-up Saturday.
      const entries = [
        ...tet.slice(1, 4).map((date: string) => ({ date, kind: 'dayOff', name: 'Tết (official)', nameVi: 'Tết Nguyên đán', source: 'Thông báo thử nghiệm 2099/TB-BNV' })),
        { date: '2099-10-03', kind: 'workingDay', name: 'Make-up Saturday', nameVi: 'Ngày làm bù', source: 'Thông báo thử nghiệm 2099/TB-BNV' },
      ];
      const res = await app.inject({
        method: 'PUT', url: '/v1/calendar/years/2099', headers: await as(vpcp),
        payload: { entries, reason: 'Prime Minister approved the 2099 schedule' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().change).toContain('official schedule 2099');
      expect(res.json().change).toContain('Prime Minister approved');

      const after = (await get('/v1/calendar/holidays/2099')).json();
      expect(after.official).toBe(true);
      expect(after.overrides).toHaveLength(4);
      const days = (await get(`/v1/calendar/days?from=${tet[0]}&to=${tet[4]}`)).json().days as { date: string; working: boolean; weekday: number }[];
      for (const d of days) {
        const official = tet.slice(1, 4).includes(d.date);
        expect(d.working, d.date).toBe(!official && d.weekday <= 5);
      }
      expect((await get('/v1/calendar/days?from=2099-10-03&to=2099-10-03')).json().days[0].working).toBe(true);
    });

    it('an official schedule with duplicate dates, or dates of another year, is refused with errors[]', async () => {
      const entry = { date: '2099-05-04', kind: 'dayOff', name: 'Day off', nameVi: 'Ngày nghỉ', source: 'Thông báo thử nghiệm' };
      const versions = (await listCalendarVersions(database.db)).length;
      const dup = await app.inject({ method: 'PUT', url: '/v1/calendar/years/2099', headers: await as(vpcp), payload: { entries: [entry, entry], reason: 'duplicate test' } });
      expect(dup.statusCode).toBe(400);
      expect(dup.json().errors).toEqual([{ path: 'body.entries.1.date', message: 'duplicate date 2099-05-04' }]);
      const other = await app.inject({ method: 'PUT', url: '/v1/calendar/years/2098', headers: await as(vpcp), payload: { entries: [entry], reason: 'wrong year test' } });
      expect(other.statusCode).toBe(400);
      expect(other.json().errors[0].path).toBe('body.entries.0.date');
      const impossible = await app.inject({ method: 'POST', url: '/v1/calendar/overrides', headers: await as(vpcp), payload: { ...entry, date: '2099-02-30' } });
      expect(impossible.statusCode).toBe(400);
      expect(impossible.json().errors[0].path).toBe('body.date');
      expect((await listCalendarVersions(database.db)).filter((v) => v.createdBy === vpcp.userId && /duplicate|wrong year/.test(v.change))).toHaveLength(0);
      expect((await listCalendarVersions(database.db)).length).toBeGreaterThanOrEqual(versions);
    });

    it('project rule: working hours are data; invalid windows are refused, valid ones make a new version', async () => {
      const overlapping = await app.inject({
        method: 'PUT', url: '/v1/calendar/working-hours', headers: await as(vpcp),
        payload: { windows: [{ start: '08:00', end: '12:30' }, { start: '12:00', end: '17:00' }], reason: 'overlap test' },
      });
      expect(overlapping.statusCode).toBe(400);
      expect(overlapping.json().errors.length).toBeGreaterThan(0);
      // Re-states the default windows, so concurrent tests computing working hours are unaffected.
      const res = await app.inject({
        method: 'PUT', url: '/v1/calendar/working-hours', headers: await as(vpcp),
        payload: { windows: [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }], reason: 'confirmed by VPCP notice' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().change).toBe('working hours set to 08:00-12:00, 13:00-17:00: confirmed by VPCP notice');
      const stored = (await get(`/v1/calendar/versions/${res.json().version}`)).json();
      expect(stored.workingHours).toEqual([{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
    });

    it.each([
      ['an agency officer', officer],
      ['an auditor', auditor],
    ])('SPEC §1: %s may not change the calendar (403, no new version)', async (_who, actor) => {
      const headers = await as(actor);
      const attempts = [
        app.inject({ method: 'POST', url: '/v1/calendar/overrides', headers, payload: { ...dayOff, date: '2099-03-05' } }),
        app.inject({ method: 'DELETE', url: '/v1/calendar/overrides/2026-02-17?reason=not%20allowed', headers }),
        app.inject({ method: 'PUT', url: '/v1/calendar/years/2099', headers, payload: { entries: [{ ...dayOff, date: '2099-03-05' }], reason: 'not allowed' } }),
        app.inject({ method: 'PUT', url: '/v1/calendar/working-hours', headers, payload: { windows: [{ start: '07:00', end: '11:00' }], reason: 'not allowed' } }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.statusCode).toBe(403);
        expect(res.json().type).toBe('urn:dvcqg:problem:wrong-role');
      }
      // Other test files may add versions concurrently: none may come from this actor.
      expect((await listCalendarVersions(database.db)).filter((v) => v.createdBy === actor.userId)).toHaveLength(0);
      const current = await loadCalendarVersion(database.db);
      expect(current!.overrides.some((o) => o.date === '2099-03-05')).toBe(false);
      expect(current!.overrides.some((o) => o.date === '2026-02-17')).toBe(true);
    });
  });
});
