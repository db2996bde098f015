import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import type { DatabaseHandle } from '../../db/client.js';
import { agencies, banks } from '../../db/schema/index.js';
import { VN_ZONE } from '../../domain/calendar/index.js';
import type { SlaClock } from '../../workflows/sla.definitions.js';
import { ensureChromium } from '../../scripts/runtime.js';
import { insertClock } from '../support/sla-clocks.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

const DAY = 86_400_000;
const ARTIFACTS = 'data/artifacts';

/** The Monday (local) starting the week `k` weeks before this one, and an instant on its Wednesday morning. */
const weekStart = (k: number) => DateTime.now().setZone(VN_ZONE).startOf('week').minus({ weeks: k });
const weekKey = (k: number) => weekStart(k).toISODate()!;
const inWeek = (k: number) => weekStart(k).plus({ days: 2, hours: 10 }).toUTC().toISO()!;
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

describe('SPEC §3 supervisor dashboard: server-rendered charts in headless Chromium (playwright-core, Debian chromium)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let browser: Browser;
  let baseUrl: string;
  // A test agency and bank of this file only: the scoped pages show exactly the clocks seeded here.
  const agency = `T${uniqueId('').slice(1, 9).toUpperCase()}`;
  const bankCode = `B${uniqueId('').slice(1, 9).toUpperCase()}`;
  const officer: Actor = { userId: uniqueId('officer'), role: 'agency', agency };
  const vpcp: Actor = { userId: uniqueId('vpcp'), role: 'vpcp', agency: 'VPCP' };
  const bank: Actor = { userId: uniqueId('bank'), role: 'bank', bank: bankCode };
  const openBreachDue = inWeek(2);

  /** The dashboard URL with a view token minted for `actor`, as a browser opens it. */
  const dashboardUrl = async (actor: Actor) => {
    const res = await fetch(`${baseUrl}/v1/audit/view-token`, { method: 'POST', headers: { authorization: await bearer(config, actor) } });
    expect(res.status).toBe(200);
    const { dashboardUrl: url } = (await res.json()) as { dashboardUrl: string };
    return `${baseUrl}${new URL(url).pathname}${new URL(url).search}`;
  };
  const open = async (actor: Actor): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const response = await page.goto(await dashboardUrl(actor));
    expect(response?.status()).toBe(200);
    return page;
  };
  /** The on-time heatmap's cells of one owner, as rendered: week → [text, met, breached]. */
  const rateCells = (page: Page, owner: string) =>
    page.$$eval(`#on-time-chart g.cell[data-owner="${owner}"]`, (cells) => Object.fromEntries(cells.map((c) => [
      c.getAttribute('data-week'), [c.querySelector('text')?.textContent, Number(c.getAttribute('data-met')), Number(c.getAttribute('data-breached'))],
    ])));
  const barTotals = (page: Page, chart: string): Promise<Record<string, [number, string | undefined]>> =>
    page.$$eval(`#${chart} g.bar`, (bars) => Object.fromEntries(bars.map((b) => [b.getAttribute('data-category'), [Number(b.getAttribute('data-total')), b.querySelector('text.total')?.textContent ?? undefined]])));

  beforeAll(async () => {
    const executablePath = ensureChromium();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    database = testDatabase();
    const db = database.db;
    await db.insert(agencies).values({ code: agency, name: 'Test Agency of Dashboards', nameVi: 'Cơ quan Thử nghiệm Bảng điều khiển', kind: 'ministry' });
    await db.insert(banks).values({ code: bankCode, name: 'Test Bank', nameVi: 'Ngân hàng Thử nghiệm', kind: 'bank' });
    const base = { caseAgency: agency, owner: agency, ownerKind: 'agency' as const, article: 'Art 44.1' };
    const clock = (name: string, row: { process: string } & Partial<SlaClock>) =>
      insertClock(db, { ...base, workflowId: `${agency}-${name}`, ...row });
    // Week −1: feedback 3 met, 1 breached (done 2 days late); a citizen's wait and a project-rule period
    // that ran out that week too: shown with their cases, never counted.
    for (let i = 0; i < 3; i++) await clock(`met-${i}`, { process: 'feedback', key: 'answer', outcome: 'met', dueAt: inWeek(1), completedAt: plusDays(inWeek(1), -1) });
    await clock('late-1', { process: 'feedback', key: 'answer', outcome: 'breached', dueAt: inWeek(1), breachedAt: inWeek(1), completedAt: plusDays(inWeek(1), 2), completedBy: 'officer-1' });
    await clock('citizen', { process: 'feedback', key: 'supplement', ownerKind: 'citizen', owner: 'citizen', outcome: 'breached', dueAt: inWeek(1), breachedAt: inWeek(1) });
    await clock('abandoned', { process: 'dvctt', key: 'abandon#1', article: 'project rule: abandoned loop', outcome: 'breached', dueAt: inWeek(1), breachedAt: inWeek(1) });
    // Week −2: one breach still not done. Week −3: DVCTT 2 met. Week −5: TTHC publication 2 breached.
    await clock('open-breach', { process: 'feedback', key: 'answer', outcome: 'breached', dueAt: openBreachDue, breachedAt: openBreachDue });
    for (let i = 0; i < 2; i++) await clock(`dvctt-met-${i}`, { process: 'dvctt', key: 'test#1', article: 'Art 27.4', outcome: 'met', dueAt: inWeek(3), completedAt: plusDays(inWeek(3), -1) });
    for (let i = 0; i < 2; i++) await clock(`tthc-late-${i}`, { process: 'tthc', key: 'publish', article: 'Decree 63/2010 Art 24', outcome: 'breached', dueAt: inWeek(5), breachedAt: inWeek(5), completedAt: plusDays(inWeek(5), 1), completedBy: 'officer-2' });
    // Open clocks: two due within the hour (due soon), one in two months (not).
    for (let i = 0; i < 2; i++) await clock(`due-${i}`, { process: 'feedback', key: 'classify', outcome: 'pending', dueAt: new Date(Date.now() + 3_600_000).toISOString() });
    await clock('due-later', { process: 'feedback', key: 'classify', outcome: 'pending', dueAt: new Date(Date.now() + 60 * DAY).toISOString() });
    // The bank's T+1 settlement breached last week, in a case of the test agency.
    await insertClock(db, { workflowId: `${agency}-payment`, process: 'payment', caseAgency: agency, key: 'settlement', owner: bankCode, ownerKind: 'bank', article: 'Art 33.4a', outcome: 'breached', dueAt: inWeek(1), breachedAt: inWeek(1) });
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('an agency officer sees its own on-time rates per week, breaches per week by process, clocks due soon and the breaches, with names', async () => {
    const page = await open(officer);
    // The agency's own rate only: one row, 12 weeks and the 12-week total.
    expect(await page.$$eval('#on-time-chart g.row', (rows) => rows.map((r) => r.getAttribute('data-owner')))).toEqual([agency]);
    const cells = await rateCells(page, agency);
    expect(Object.keys(cells)).toHaveLength(13);
    expect(cells[weekKey(1)]).toEqual(['75%', 3, 1]);
    expect(cells[weekKey(2)]).toEqual(['0%', 0, 1]);
    expect(cells[weekKey(3)]).toEqual(['100%', 2, 0]);
    expect(cells[weekKey(4)]).toEqual(['—', 0, 0]);
    expect(cells[weekKey(5)]).toEqual(['0%', 0, 2]);
    expect(cells.all).toEqual(['56%', 5, 4]);
    expect(await page.$eval('#on-time-chart g.row text.label', (t) => t.lastChild?.textContent)).toBe(`Cơ quan Thử nghiệm Bảng điều khiển (${agency})`);

    // Counted breaches per week (its cases and the clocks it owns: the bank's settlement breach is in its case).
    const breaches = await barTotals(page, 'breaches-chart');
    expect(breaches[weekKey(1)]).toEqual([2, '2']);
    expect(breaches[weekKey(2)]).toEqual([1, '1']);
    expect(breaches[weekKey(5)]).toEqual([2, '2']);
    expect(Object.values(breaches).reduce((n, [total]) => n + Number(total), 0)).toBe(5);
    expect(await page.getAttribute(`#breaches-chart rect.segment[data-series="tthc"][data-category="${weekKey(5)}"]`, 'data-value')).toBe('2');
    expect(await page.textContent('#breaches-chart g.legend[data-series="tthc"] text')).toBe('Công bố thủ tục hành chính / TTHC publication decision');

    // Two open clocks due within 5 working days, in the day columns.
    const due = await barTotals(page, 'due-chart');
    expect(Object.values(due).reduce((n, [total]) => n + Number(total), 0)).toBe(2);
    expect(await page.getAttribute('#summary', 'data-due')).toBe('2');
    expect(await page.$$eval('#due-table tr[data-workflow-id]', (rows) => rows.length)).toBe(2);

    // The latest breaches and the longest open one, with names, process names in both languages and days late.
    expect(await page.$$eval('#latest-breaches tr[data-workflow-id]', (rows) => rows.length)).toBe(5);
    const longest = await page.$$eval('#longest-breaches tr[data-workflow-id]', (rows) => rows.map((r) => [r.getAttribute('data-workflow-id'), Number(r.getAttribute('data-days-late'))]));
    const lateBy = (due: string) => Math.ceil((Date.now() - Date.parse(due)) / DAY);
    // Oldest first; the bank's settlement (in the agency's case) is still not done either.
    expect(longest.map(([id]) => id)).toEqual([`${agency}-open-breach`, `${agency}-payment`]);
    // (Rendered a moment ago: a day boundary may have passed since.)
    expect([lateBy(openBreachDue) - 1, lateBy(openBreachDue)]).toContain(longest[0]![1]);
    expect([lateBy(inWeek(1)) - 1, lateBy(inWeek(1))]).toContain(longest[1]![1]);
    const row = await page.textContent(`#longest-breaches tr[data-workflow-id="${agency}-open-breach"]`);
    expect(row).toContain('Cơ quan Thử nghiệm Bảng điều khiển');
    expect(row).toContain('Test Agency of Dashboards');
    expect(row).toContain('Phản ánh, kiến nghị');
    expect(row).toContain('Citizen feedback');
    const settlement = await page.textContent(`#latest-breaches tr[data-workflow-id="${agency}-payment"]`);
    expect(settlement).toContain('Ngân hàng Thử nghiệm');
    // Links: the audit timeline (carrying the view token) and the Temporal Web UI.
    const links = await page.$$eval(`#longest-breaches tr[data-workflow-id="${agency}-open-breach"] a`, (as) => as.map((a) => a.getAttribute('href')));
    expect(links[0]).toMatch(new RegExp(`^/v1/audit/workflows/${agency}-open-breach/timeline\\?format=html&token=`));
    expect(links[1]).toBe(`${config.TEMPORAL_UI_URL}/namespaces/default/workflows/${agency}-open-breach`);
    // Nothing but this server's own page: no script element anywhere.
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    await page.close();
  });

  it('VPCP sees every agency on the same page, the test agency among them with the same figures', async () => {
    const page = await open(vpcp);
    const owners = await page.$$eval('#on-time-chart g.row', (rows) => rows.map((r) => r.getAttribute('data-owner')));
    expect(owners).toContain(agency);
    expect(owners).toContain(bankCode);
    const cells = await rateCells(page, agency);
    expect(cells[weekKey(1)]).toEqual(['75%', 3, 1]);
    expect(cells.all).toEqual(['56%', 5, 4]);
    expect((await rateCells(page, bankCode))[weekKey(1)]).toEqual(['0%', 0, 1]);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-vpcp.png`, fullPage: true });
    await page.close();
  });

  it('a bank sees only the clocks it owns, without links to the audit pages it may not open', async () => {
    const page = await open(bank);
    expect(await page.$$eval('#on-time-chart g.row', (rows) => rows.map((r) => r.getAttribute('data-owner')))).toEqual([bankCode]);
    expect(await page.$$eval('#latest-breaches tr[data-workflow-id]', (rows) => rows.map((r) => r.getAttribute('data-workflow-id')))).toEqual([`${agency}-payment`]);
    expect(await page.$$eval('#latest-breaches a[href^="/v1/audit"]', (as) => as.length)).toBe(0);
    await page.close();
  });

  it('the page is refused without a token, sends a CSP without scripts, and a bank\'s view token opens no audit page', async () => {
    expect((await fetch(`${baseUrl}/v1/supervision/dashboard`)).status).toBe(401);
    const url = await dashboardUrl(bank);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const token = new URL(url).searchParams.get('token')!;
    expect((await fetch(`${baseUrl}/v1/audit/supervisor?token=${encodeURIComponent(token)}`)).status).toBe(403);
    // A portal token may not open the dashboard.
    const portal = await fetch(`${baseUrl}/v1/supervision/dashboard`, { headers: { authorization: await bearer(config, { userId: 'portal', role: 'portal' }) } });
    expect(portal.status).toBe(403);
  });
});
