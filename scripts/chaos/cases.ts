/**
 * The cases the chaos suite drives through HTTP, one per regulated process, as the e2e suites do
 * (test/e2e/*): each `drive` takes a case to its end state, recording every action the API
 * acknowledged (a final 2xx); each `verify` reads the final state back through GET and names the
 * acknowledged actions whose effect is not there (lost).
 */
import type postgres from 'postgres';
import { vietnamDate } from '../../workflows/payment.definitions.js';
import type { FakeBankSigner } from '../../test/support/fake-bank.js';
import { Api, StuckError, UnexpectedAnswer, type Actor, type Answer, type RequestSpec } from './client.js';

export const CASE_KINDS = ['payment', 'feedback', 'dvctt', 'tthc', 'reconciliation'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface CaseRun {
  id: string;
  kind: CaseKind;
  index: number;
  startedAt?: number;
  finishedAt?: number;
  deadline: number;
  /** Actions answered with a final 2xx: their effect must be in the final state. */
  acks: { step: string; at: number }[];
  /** When the case moved: `at`, and since when it had been trying (`since`). */
  moves: { at: number; since: number; step: string }[];
  /** When the case was waiting on the stack: each action, read or wait, from its first attempt to its answer (`until`, unset while outstanding). */
  requests: { since: number; until?: number }[];
  outcome?: 'done' | 'stuck';
  stuckReason?: string;
  /** Retried actions answered 4xx although the first attempt had been applied (the answer was lost). */
  appliedButRefused: string[];
  /** Ids the verification reads back. */
  data: Record<string, string | number | boolean>;
  /** Every attempt: when, which step, what came back (to explain a slow recovery). */
  trace: { at: number; step: string; answer: string }[];
  /** What the case saw that is not what the process should show (reported, not counted as lost). */
  notes: string[];
}

/** What every case shares: the run's id, the API, the banks registered for the run. */
export interface Shared {
  run: string;
  api: Api;
  paymentBanks: string[];
  /** Each payment bank's receipt signing key; VPCP registered its certificate (Art 31.2c). */
  signers: Record<string, FakeBankSigner>;
  reconciliationBank(index: number): string;
  /** A TTHC of agency BTP published in the National TTHC Database for the run: DVCTT services are declared for it (Art 28.1). */
  dvcttTthcCode: string;
  thinkMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const vpcp: Actor = { userId: 'vpcp-chaos', role: 'vpcp', agency: 'VPCP' };
const auditor: Actor = { userId: 'auditor-chaos', role: 'auditor' };
const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
const bankActor = (bank: string): Actor => ({ userId: `api-${bank}`, role: 'bank', bank });
const officer = (who: string): Actor => ({ userId: who, role: 'agency', agency: 'BTP' });

/** Helpers bound to one case: retried actions, waits, think time. */
export class CaseContext {
  constructor(readonly c: CaseRun, readonly shared: Shared) {}

  get api(): Api {
    return this.shared.api;
  }

  async think(): Promise<void> {
    await sleep(Math.random() * this.shared.thinkMs);
  }

  private traced(step: string, spec: RequestSpec): RequestSpec {
    return { ...spec, onAttempt: (at, answer) => this.c.trace.push({ at, step, answer }) };
  }

  /** Runs `wait` as one span of the case waiting on the stack (the moves-again figure reads them). */
  private async waiting<T>(wait: () => Promise<T>): Promise<T> {
    const span: CaseRun['requests'][number] = { since: Date.now() };
    this.c.requests.push(span);
    try {
      return await wait();
    } finally {
      span.until = Date.now();
    }
  }

  /** A request retried until its final answer, traced and counted as the case waiting. */
  send<T = Record<string, unknown>>(step: string, spec: RequestSpec, deadline = this.c.deadline): Promise<Answer<T>> {
    return this.waiting(() => this.api.send<T>(`${this.c.id} ${step}`, this.traced(step, spec), deadline));
  }

  /**
   * An action, retried with one Idempotency-Key. A final status outside `ok` stops the case —
   * unless the request had to be retried and `appliedIf` finds its effect in place (its first
   * attempt was applied; the retry was refused because the case had moved on or closed).
   */
  async act<T = Record<string, unknown>>(step: string, spec: RequestSpec, ok: number[] = [200, 201], appliedIf?: () => Promise<boolean>): Promise<Answer<T>> {
    const answer = await this.send<T>(step, { ...spec, key: spec.key ?? `${this.c.id}:${step}` });
    if (ok.includes(answer.status)) {
      this.c.acks.push({ step, at: answer.answeredAt });
      this.c.moves.push({ at: answer.answeredAt, since: answer.firstAttemptAt, step });
      return answer;
    }
    if (answer.attempts > 1 && appliedIf && (await appliedIf().catch(() => false))) {
      this.c.appliedButRefused.push(`${step}: ${answer.status} ${(answer.body as { type?: string }).type ?? ''}`);
      this.c.moves.push({ at: answer.answeredAt, since: answer.firstAttemptAt, step });
      return answer;
    }
    throw new UnexpectedAnswer(`${this.c.id} ${step}`, answer.status, answer.body);
  }

  /**
   * Reads until `ok` holds (a state the workflow writes asynchronously); a move when it does. A
   * `background` wait (a day's reconciliation run, which takes its own time) moves whenever a read
   * is answered: the run's own pace is not the recovery of a killed part.
   */
  waitFor<T = Record<string, unknown>>(step: string, spec: RequestSpec, ok: (a: Answer<T>) => boolean, background = false): Promise<Answer<T>> {
    return this.waiting(async () => {
      const since = Date.now();
      for (;;) {
        const answer = await this.api.send<T>(`${this.c.id} ${step}`, this.traced(step, spec), this.c.deadline);
        if (ok(answer) || (background && answer.status === 200)) this.c.moves.push({ at: answer.answeredAt, since: background ? answer.firstAttemptAt : since, step });
        if (ok(answer)) return answer;
        if (Date.now() + 250 > this.c.deadline) throw new StuckError(`${this.c.id} ${step}`, `state not reached; last ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
        await sleep(250);
      }
    });
  }

  read<T = Record<string, unknown>>(step: string, actor: Actor | undefined, path: string, deadline = this.c.deadline): Promise<Answer<T>> {
    return this.waiting(() => this.api.send<T>(`${this.c.id} ${step}`, { actor, method: 'GET', path }, deadline));
  }
}

type Body = Record<string, unknown>;

// ── Payment: register → payer's bank → debit → receipt → settlement (→ refund for every third) ──

interface PaymentIds {
  paymentId: string;
  bank: string;
  bankTxnRef: string;
  amount: number;
}

async function registerAndDebit(x: CaseContext, suffix: string, bank: string, amount: number): Promise<PaymentIds> {
  const { c, shared } = x;
  const agency = officer(`officer-${c.id}`);
  const request = {
    agency: 'BTP', requestRef: `${shared.run}-${c.index}${suffix}`, dossierCode: `H01.${shared.run}-${c.index}${suffix}`, feeTypeCode: 'LEPHI-HT', amount,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
  };
  const registered = await x.act<Body>(`register${suffix}`, { actor: agency, method: 'POST', path: '/v1/payments', body: request });
  const paymentId = String(registered.body.paymentId);
  const ids = { paymentId, bank, bankTxnRef: `FT${shared.run}${c.index}${suffix}`, amount };
  c.data[`paymentId${suffix}`] = paymentId;
  c.data[`bankTxnRef${suffix}`] = ids.bankTxnRef;
  await x.think();
  await x.act(`payer-bank${suffix}`, { actor: portal, method: 'POST', path: `/v1/payments/${paymentId}/payer-bank`, body: { bank } });
  await x.think();
  // As the bank states it: fixed once, so every retry of the callback carries the same body.
  const debitedAt = new Date().toISOString();
  c.data[`debitedAt${suffix}`] = debitedAt;
  await x.act(`debit${suffix}`, {
    actor: bankActor(bank), method: 'POST', path: `/v1/payments/${paymentId}/callbacks/debit`,
    body: { callbackId: `${shared.run}${c.index}${suffix}d`, bankTxnRef: ids.bankTxnRef, amount, debitedAt },
  });
  return ids;
}

async function drivePayment(x: CaseContext): Promise<void> {
  const { c, shared } = x;
  const bank = shared.paymentBanks[c.index % shared.paymentBanks.length]!;
  c.data.bank = bank;
  const p = await registerAndDebit(x, '', bank, 100_000 + c.index);
  const asBank = bankActor(bank);
  await x.think();
  c.data.receiptNo = `CT-${shared.run}-${c.index}`;
  const document = shared.signers[bank]!.signReceipt({
    receiptNo: c.data.receiptNo, paymentId: p.paymentId, bank, bankTxnRef: p.bankTxnRef, amount: p.amount, debitedAt: String(c.data.debitedAt),
  });
  await x.act('receipt', { actor: asBank, method: 'POST', path: `/v1/payments/${p.paymentId}/callbacks/receipt`, body: { callbackId: `${shared.run}${c.index}r`, document } });
  await x.think();
  await x.act('settlement', {
    actor: asBank, method: 'POST', path: `/v1/payments/${p.paymentId}/callbacks/settlement`,
    body: { callbackId: `${shared.run}${c.index}s`, transferRef: `TT${shared.run}${c.index}`, amount: p.amount },
  });
  if (c.index % 3 !== 0) return;
  c.data.refund = true;
  await x.think();
  // If the answer to the request was lost, the retry may be refused: the case then finds its refund in the list.
  const refundOfPayment = async () => {
    const list = await x.read<{ items?: { id: string }[] }>('refunds?', asBank, `/v1/refunds?paymentId=${encodeURIComponent(p.paymentId)}`);
    const found = list.body.items?.[0]?.id;
    if (found) c.data.refundId = found;
    return found !== undefined;
  };
  const opened = await x.act<Body>('refund-request', { actor: portal, method: 'POST', path: '/v1/refunds', body: { paymentId: p.paymentId, amount: p.amount, reason: 'chaos: paid twice by mistake' } }, [200, 201], refundOfPayment);
  const refundId = String(opened.body.refundId ?? c.data.refundId);
  c.data.refundId = refundId;
  const refundIs = (status: string) => async () => (await x.read<Body>('refund?', asBank, `/v1/refunds/${encodeURIComponent(refundId)}`)).body.status === status;
  await x.think();
  await x.act('refund-decision', { actor: asBank, method: 'POST', path: `/v1/refunds/${encodeURIComponent(refundId)}/decision`, body: { finding: 'bankFault', note: 'chaos: our double debit' } });
  await x.think();
  await x.act('refund-payout', { actor: asBank, method: 'POST', path: `/v1/refunds/${encodeURIComponent(refundId)}/payout`, body: { payoutRef: `PO-${shared.run}-${c.index}` } }, [200], refundIs('refunded'));
}

type Checks = Record<string, () => boolean | Promise<boolean>>;

/** The acknowledged steps whose check fails (a step without a check is the suite's own bug). */
async function lostOf(c: CaseRun, checks: Checks): Promise<string[]> {
  const lost: string[] = [];
  for (const step of new Set(c.acks.map((a) => a.step))) {
    const check = checks[step];
    if (!check) throw new Error(`no check for acknowledged step ${step} of ${c.kind}`);
    if (!(await check())) lost.push(step);
  }
  return lost;
}

const finalRead = (x: CaseContext, what: string, actor: Actor | undefined, path: string) => x.read<Body>(what, actor, path, Date.now() + 60_000);

/** Checks of a payment's register / payer-bank / debit steps (`suffix` tells a case's payments apart). */
async function paymentChecks(x: CaseContext, suffix: string, amount: number): Promise<{ checks: Checks; payment: Body }> {
  const { c } = x;
  const id = c.data[`paymentId${suffix}`];
  if (!id) return { checks: {}, payment: {} };
  const read = await finalRead(x, `final payment${suffix}`, vpcp, `/v1/payments/${id}`);
  const p = read.status === 200 ? read.body : {};
  return {
    payment: p,
    checks: {
      [`register${suffix}`]: () => read.status === 200 && p.amount === amount,
      [`payer-bank${suffix}`]: () => p.payerBank === c.data.bank,
      [`debit${suffix}`]: () => p.bankTxnRef === c.data[`bankTxnRef${suffix}`] && !!p.debitedAt,
    },
  };
}

async function verifyPayment(x: CaseContext): Promise<string[]> {
  const { c } = x;
  const { checks, payment } = await paymentChecks(x, '', 100_000 + c.index);
  const refund = c.data.refundId ? (await finalRead(x, 'final refund', vpcp, `/v1/refunds/${encodeURIComponent(String(c.data.refundId))}`)).body : {};
  return lostOf(c, {
    ...checks,
    receipt: async () => (await finalRead(x, 'final receipt', vpcp, `/v1/payments/${c.data.paymentId}/receipt`)).body.receiptNo === c.data.receiptNo,
    settlement: () => payment.status === 'settled' && !!payment.settledAt,
    'refund-request': () => refund.id === c.data.refundId,
    'refund-decision': () => refund.finding === 'bankFault',
    'refund-payout': () => refund.status === 'refunded',
  });
}

// ── Feedback: submission → accept → result → review → publication (Art 42–45) ──

async function driveFeedback(x: CaseContext): Promise<void> {
  const { c } = x;
  const handler = officer(`officer-${c.id}`);
  const reviewer = officer(`reviewer-${c.id}`);
  const submission = {
    sender: { name: 'Lê Văn Cường', address: '20 Nguyễn Huệ, TP. Hồ Chí Minh', phone: '0901234567', email: 'cuong@example.vn', portalAccountId: `acc-${c.id}` },
    content: `Đề nghị công khai đầy đủ thành phần hồ sơ của thủ tục chứng thực (${c.id}).`,
    agency: 'BTP', tthcCode: '2.000815', category: 'tthc-not-published', channel: 'portal',
  };
  const submitted = await x.act<Body>('submit', { actor: portal, method: 'POST', path: '/v1/feedback', body: submission, key: `fb-${c.id}` });
  const id = String(submitted.body.id);
  c.data.itemId = id;
  const item = `/v1/feedback/${id}`;
  await x.waitFor<Body>('received', { actor: handler, method: 'GET', path: item }, (a) => a.status === 200 && (a.body.actionsAllowed as string[] | undefined)?.includes('classify') === true);
  const statusIs = (...statuses: string[]) => async () => statuses.includes(String((await x.read<Body>('item?', auditor, item)).body.status));
  await x.think();
  await x.act('classify', { actor: handler, method: 'POST', path: `${item}/classify`, body: { decision: 'accept' } }, [200], statusIs('processing', 'in-review', 'approved', 'published'));
  await x.think();
  await x.act('result', {
    actor: handler, method: 'POST', path: `${item}/result`,
    body: { answer: 'Bộ Tư pháp đã cập nhật thành phần hồ sơ trên Cơ sở dữ liệu quốc gia về TTHC.', resultObtainedAt: new Date().toISOString() },
  }, [200], statusIs('in-review', 'approved', 'published'));
  await x.think();
  await x.act('review', { actor: reviewer, method: 'POST', path: `${item}/review`, body: { decision: 'approve' } }, [200], statusIs('approved', 'published'));
  await x.think();
  await x.act('publish', { actor: reviewer, method: 'POST', path: `${item}/publish`, body: { publicQuestion: 'Đề nghị công khai thành phần hồ sơ của thủ tục.' } }, [200], statusIs('published'));
}

async function verifyFeedback(x: CaseContext, published: Set<string>): Promise<string[]> {
  const { c } = x;
  const view = c.data.itemId ? await finalRead(x, 'final item', auditor, `/v1/feedback/${c.data.itemId}`) : { status: 0, body: {} as Body };
  const actions = ((view.body.actions as { action: string }[] | undefined) ?? []).map((a) => a.action);
  const recorded = (action: string) => () => actions.includes(action);
  return lostOf(c, {
    submit: () => view.status === 200,
    classify: recorded('classify'),
    result: recorded('result'),
    review: recorded('review'),
    publish: () => view.body.status === 'published' && published.has(String(c.data.itemId)),
  });
}

// ── DVCTT: declare → propose → (reject → propose) → approve → test report → pass (Art 27) ──

async function driveDvctt(x: CaseContext): Promise<void> {
  const { c, shared } = x;
  const agency = officer(`officer-${c.id}`);
  const vpcpReviewer = vpcp;
  const code = `CH-${shared.run}-${c.index}`;
  c.data.code = code;
  const service = `/v1/dvctt/services/${code}`;
  const statusIs = (...statuses: string[]) => async () => statuses.includes(String((await x.read<Body>('service?', vpcp, service)).body.status));
  await x.act('declare', { actor: agency, method: 'POST', path: '/v1/dvctt/services', body: { code, name: 'Cấp phiếu lý lịch tư pháp', tthcCode: shared.dvcttTthcCode, agency: 'BTP', level: 4 } });
  await x.think();
  await x.act('propose#1', { actor: agency, method: 'POST', path: `${service}/propose`, body: {} });
  let rounds = 1;
  if (c.index % 2 === 1) {
    await x.think();
    await x.act('reject#1', { actor: vpcpReviewer, method: 'POST', path: `${service}/review`, body: { decision: 'reject', reasons: 'Thiếu biểu mẫu / form missing' } }, [200], statusIs('returned', 'proposed'));
    await x.think();
    await x.act('propose#2', { actor: agency, method: 'POST', path: `${service}/propose`, body: { note: 'Đã bổ sung / fixed' } });
    rounds = 2;
  }
  c.data.rounds = rounds;
  await x.think();
  await x.act('approve', { actor: vpcpReviewer, method: 'POST', path: `${service}/review`, body: { decision: 'approve' } }, [200], statusIs('published-for-testing', 'test-reported', 'live'));
  await x.think();
  await x.act('test-report', {
    actor: agency, method: 'POST', path: `${service}/test-report`,
    body: { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: [`H01-${c.index}`] },
  }, [200], statusIs('test-reported', 'live'));
  await x.think();
  await x.act('confirm', { actor: vpcpReviewer, method: 'POST', path: `${service}/confirm`, body: { result: 'pass' } }, [200], statusIs('live'));
}

async function verifyDvctt(x: CaseContext): Promise<string[]> {
  const { c } = x;
  const view = c.data.code ? await finalRead(x, 'final service', vpcp, `/v1/dvctt/services/${c.data.code}`) : { status: 0, body: {} as Body };
  const actions = (view.body.actions as { action: string; data?: { round?: number; decision?: string } }[] | undefined) ?? [];
  const has = (action: string, round: number, decision?: string) => () =>
    actions.some((a) => a.action === action && a.data?.round === round && (decision === undefined || a.data?.decision === decision));
  const lastRound = Number(c.data.rounds ?? 1);
  return lostOf(c, {
    declare: () => view.status === 200,
    'propose#1': has('propose', 1),
    'reject#1': has('review', 1, 'reject'),
    'propose#2': has('propose', 2),
    approve: has('review', lastRound, 'approve'),
    'test-report': has('submitTestReport', lastRound),
    confirm: () => view.body.status === 'live' && has('confirmTest', lastRound)(),
  });
}

// ── TTHC: a decision entered, checked and published (Art 16.3–16.5) ──

const tthcContent = (name: string) => ({
  name, field: 'Hộ tịch', level: 'provincial', implementingAgency: 'Sở Tư pháp',
  components: {
    steps: ['Nộp hồ sơ', 'Tiếp nhận và giải quyết', 'Trả kết quả'], channels: ['online', 'in-person'],
    dossier: [{ name: 'Tờ khai', copies: 1 }], processingTime: '5 ngày làm việc', subjects: ['Công dân Việt Nam'],
    result: 'Giấy chứng nhận', fees: [{ name: 'Lệ phí', amountVnd: 50_000 }], legalBasis: ['Luật Hộ tịch 2014'],
  },
});

async function driveTthc(x: CaseContext): Promise<void> {
  const { c, shared } = x;
  const agency = officer(`officer-${c.id}`);
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  const created = await x.act<Body>('create', {
    actor: agency, method: 'POST', path: '/v1/tthc/decisions',
    body: { agency: 'BTP', number: `${shared.run}-${c.index}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực hộ tịch', authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01' },
  });
  c.data.decisionId = String(created.body.decisionId);
  const decision = `/v1/tthc/decisions/${encodeURIComponent(c.data.decisionId)}`;
  c.data.decision = decision;
  const code = `C.${shared.run}${c.index}`;
  c.data.code = code;
  await x.waitFor<Body>('entered', { actor: agency, method: 'GET', path: decision }, (a) => a.status === 200 && a.body.issueTiming !== undefined);
  const stageIs = (...stages: string[]) => async () => stages.includes(String((await x.read<Body>('decision?', agency, decision)).body.stage));
  await x.think();
  await x.act('items', { actor: agency, method: 'POST', path: `${decision}/items`, body: { items: [{ kind: 'new', code, content: tthcContent(`Đăng ký khai tử ${c.id}`) }] } });
  await x.think();
  await x.act('check', { actor: agency, method: 'POST', path: `${decision}/check`, body: {} }, [200], stageIs('checked', 'published'));
  await x.think();
  await x.act('publish', { actor: agency, method: 'POST', path: `${decision}/publish`, body: {} }, [200], stageIs('published'));
}

/**
 * Reference data before the cases: a TTHC of BTP published through the TTHC routes (decision,
 * item, check, publish), retried like any action, for the DVCTT cases to declare services for.
 */
export async function publishDvcttProcedure(api: Api, run: string, deadline: number): Promise<string> {
  const agency = officer('officer-chaos-setup');
  const code = `D.${run}`;
  const send = async (step: string, spec: RequestSpec, ok = [200, 201]) => {
    const answer = await api.send<Body>(`setup ${step}`, { ...spec, key: `setup-${run}:${step.replace(/ /g, '-')}` }, deadline);
    if (!ok.includes(answer.status)) throw new UnexpectedAnswer(`setup ${step}`, answer.status, answer.body);
    return answer;
  };
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  const created = await send('tthc decision', {
    actor: agency, method: 'POST', path: '/v1/tthc/decisions',
    body: { agency: 'BTP', number: `${run}-DVCTT/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực lý lịch tư pháp', authorityKind: 'minister', signedOn: today, legalEffectiveOn: today },
  });
  const decision = `/v1/tthc/decisions/${encodeURIComponent(String(created.body.decisionId))}`;
  const stage = async () => (await api.send<Body>('setup decision?', { actor: agency, method: 'GET', path: decision }, deadline)).body;
  while ((await stage()).issueTiming === undefined) await sleep(250);
  await send('tthc items', { actor: agency, method: 'POST', path: `${decision}/items`, body: { items: [{ kind: 'new', code, content: tthcContent('Cấp phiếu lý lịch tư pháp') }] } });
  await send('tthc check', { actor: agency, method: 'POST', path: `${decision}/check`, body: {} });
  await send('tthc publish', { actor: agency, method: 'POST', path: `${decision}/publish`, body: {} });
  while ((await api.send<Body>('setup procedure?', { method: 'GET', path: `/v1/tthc/procedures/${encodeURIComponent(code)}` }, deadline)).status !== 200) await sleep(250);
  return code;
}

async function verifyTthc(x: CaseContext): Promise<string[]> {
  const { c } = x;
  const decision = c.data.decision ? await finalRead(x, 'final decision', officer(`officer-${c.id}`), String(c.data.decision)) : { status: 0, body: {} as Body };
  const procedure = c.data.code ? (await finalRead(x, 'final procedure', undefined, `/v1/tthc/procedures/${encodeURIComponent(String(c.data.code))}`)).body : {};
  const items = (decision.body.items as { code?: string }[] | undefined) ?? [];
  return lostOf(c, {
    create: () => decision.status === 200,
    items: () => items.some((i) => i.code === c.data.code),
    check: () => ['checked', 'published'].includes(String(decision.body.stage)),
    publish: () => decision.body.stage === 'published' && (procedure.procedure as Body | undefined)?.status === 'published',
  });
}

// ── Reconciliation day: two payments debited, the bank reports both, the agency records one (Art 34) ──

/** The day reconciled for the case's pair: payment a matched, b missing at the agency. */
function reconciled(body: Body, matched: string, missingAtAgency: string): boolean {
  const detail = (body.detail as { paymentId: string; outcome: string }[] | undefined) ?? [];
  const outcome = (id: string) => detail.find((d) => d.paymentId === id)?.outcome;
  return outcome(matched) === 'matched' && outcome(missingAtAgency) === 'missingAtAgency';
}

async function driveReconciliation(x: CaseContext): Promise<void> {
  const { c, shared } = x;
  const bank = shared.reconciliationBank(c.index);
  c.data.bank = bank;
  const a = await registerAndDebit(x, 'a', bank, 70_000 + c.index);
  await x.think();
  const b = await registerAndDebit(x, 'b', bank, 80_000 + c.index);
  const debited = await x.waitFor<Body>('debited', { actor: vpcp, method: 'GET', path: `/v1/payments/${a.paymentId}` }, (r) => r.status === 200 && !!r.body.debitedAt);
  const day = vietnamDate(String(debited.body.debitedAt));
  c.data.day = day;
  const agency = officer(`officer-${c.id}`);
  const csv = ['payment_id,bank_txn_ref,amount,status', ...[a, b].map((p) => `${p.paymentId},${p.bankTxnRef},${p.amount},success`)].join('\r\n');
  await x.think();
  await x.act('statement', { actor: bankActor(bank), method: 'PUT', path: `/v1/reconciliation/statements/${bank}/BTP/${day}`, body: csv, contentType: 'text/csv' });
  await x.think();
  await x.act('agency-records', {
    actor: agency, method: 'PUT', path: `/v1/reconciliation/agency-records/BTP/${bank}/${day}`,
    body: { lines: [{ paymentId: a.paymentId, bankTxnRef: a.bankTxnRef, amount: a.amount, status: 'success' }] },
  });
  await x.think();
  // One run serves every upload made before it started: a run already under way is a 409 (stored
  // under its key), so the case watches the report, and asks again (new key) while its uploads
  // are not reconciled yet. A 202 acknowledges a run that starts after these uploads.
  const report = `/v1/reconciliation/reports/${day}/BTP/${bank}`;
  const isReconciled = async () => reconciled((await x.read<Body>('report?', vpcp, report)).body, a.paymentId, b.paymentId);
  for (let attempt = 1; ; attempt++) {
    const run = await x.send<Body>('run', { actor: vpcp, method: 'POST', path: '/v1/reconciliation/runs', body: { txnDate: day }, key: `${c.id}:run:${attempt}` });
    if (run.status === 202) {
      c.acks.push({ step: 'run', at: run.answeredAt });
      c.moves.push({ at: run.answeredAt, since: run.firstAttemptAt, step: 'run' });
      break;
    }
    if (run.status !== 409) throw new UnexpectedAnswer(`${c.id} run`, run.status, run.body);
    c.moves.push({ at: run.answeredAt, since: run.firstAttemptAt, step: 'run (another under way)' });
    if (await isReconciled()) break;
    if (Date.now() + 2000 > c.deadline) throw new StuckError(`${c.id} run`, 'the day stayed busy with other runs and never reconciled these uploads');
    await sleep(2000);
  }
  await x.waitFor<Body>('reconciled', { actor: vpcp, method: 'GET', path: report }, (r) => reconciled(r.body, a.paymentId, b.paymentId), true);
  // The difference of b has one case (its id has no kind): opened by this run as missingAtAgency, or
  // earlier by a run of the day that saw b debited before these uploads (then it still says so).
  type Item = { id: string; paymentId: string; kind: string; ownerKind: string };
  const found = await x.waitFor<{ items?: Item[] }>('discrepancy opened', { actor: vpcp, method: 'GET', path: `/v1/reconciliation/discrepancies?txnDate=${day}&bank=${bank}&limit=500` },
    (r) => (r.body.items ?? []).some((d) => d.paymentId === b.paymentId), true);
  const discrepancy = found.body.items!.find((d) => d.paymentId === b.paymentId)!;
  if (discrepancy.kind !== 'missingAtAgency') c.notes.push(`discrepancy ${discrepancy.id} says ${discrepancy.kind} (owner ${discrepancy.ownerKind}); the day's report says missingAtAgency`);
  c.data.discrepancyId = discrepancy.id;
  const owner = discrepancy.ownerKind === 'bank' ? bankActor(bank) : agency;
  const path = `/v1/reconciliation/discrepancies/${encodeURIComponent(discrepancy.id)}`;
  await x.think();
  const resolvedAlready = async () => (await x.read<Body>('discrepancy?', owner, path)).body.status === 'resolved';
  await x.act('resolve', { actor: owner, method: 'POST', path: `${path}/resolve`, body: { resolution: 'chaos: the record was entered late' } }, [200], resolvedAlready);
}

async function uploadedLines(sql: postgres.Sql, source: 'bank' | 'agency', c: CaseRun): Promise<number | undefined> {
  const [row] = await sql<{ lineCount: number }[]>`select line_count as "lineCount" from reconciliation_uploads where source = ${source} and agency = 'BTP' and bank = ${String(c.data.bank)} and txn_date = ${String(c.data.day)}`;
  return row?.lineCount;
}

async function verifyReconciliation(x: CaseContext, sql: postgres.Sql): Promise<string[]> {
  const { c } = x;
  const a = await paymentChecks(x, 'a', 70_000 + c.index);
  const b = await paymentChecks(x, 'b', 80_000 + c.index);
  const report = c.data.day ? (await finalRead(x, 'final report', vpcp, `/v1/reconciliation/reports/${c.data.day}/BTP/${c.data.bank}`)).body : {};
  const detail = (report.detail as { paymentId: string; bankAmount: number | null; agencyAmount: number | null }[] | undefined) ?? [];
  const discrepancy = c.data.discrepancyId ? (await finalRead(x, 'final discrepancy', vpcp, `/v1/reconciliation/discrepancies/${encodeURIComponent(String(c.data.discrepancyId))}`)).body : {};
  return lostOf(c, {
    ...a.checks,
    ...b.checks,
    // The uploads show in the report once a run has read them; before that, only in their table.
    statement: async () => detail.filter((d) => d.bankAmount !== null).length >= 2 || (await uploadedLines(sql, 'bank', c)) === 2,
    'agency-records': async () => detail.some((d) => d.paymentId === c.data.paymentIda && d.agencyAmount !== null) || (await uploadedLines(sql, 'agency', c)) === 1,
    run: () => reconciled(report, String(c.data.paymentIda), String(c.data.paymentIdb)),
    resolve: () => discrepancy.status === 'resolved',
  });
}

export const drivers: Record<CaseKind, (x: CaseContext) => Promise<void>> = {
  payment: drivePayment,
  feedback: driveFeedback,
  dvctt: driveDvctt,
  tthc: driveTthc,
  reconciliation: driveReconciliation,
};

/** The acknowledged steps of a case whose effect is not in the final state. */
export async function verifyCase(x: CaseContext, published: Set<string>, sql: postgres.Sql): Promise<string[]> {
  switch (x.c.kind) {
    case 'payment': return verifyPayment(x);
    case 'feedback': return verifyFeedback(x, published);
    case 'dvctt': return verifyDvctt(x);
    case 'tthc': return verifyTthc(x);
    case 'reconciliation': return verifyReconciliation(x, sql);
  }
}

/** Every published answer of BTP (public list, paged), for the feedback verification. */
export async function publishedAnswers(api: Api): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let page = 1; ; page++) {
    const answer = await api.send<{ items: { itemId: string }[]; total: number }>('published list', { method: 'GET', path: `/v1/feedback/published?agency=BTP&page=${page}&pageSize=500` }, Date.now() + 60_000);
    for (const item of answer.body.items ?? []) ids.add(item.itemId);
    if ((answer.body.items ?? []).length < 500) return ids;
  }
}

export { vpcp };
