import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bankHistory, findBank, listBanks, registerBank, setBankStatus, type BankStatus } from '../../../db/queries/payment.js';
import { bankKind, bankStatus } from '../../../db/schema/index.js';
import { readCertificate, ReceiptRejected } from '../../../domain/payments/receipt.js';
import { actorOf, ROLES } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { safeCode, safeMultilineText, safeText } from '../../schemas.js';

const bankSchema = z
  .object({
    code: z.string(), name: z.string(), nameVi: z.string(), kind: z.enum(bankKind.enumValues), status: z.enum(bankStatus.enumValues),
    statusReason: z.string().nullable(), statusChangedBy: z.string().nullable(), statusChangedAt: z.string().nullable(),
    receiptCertFingerprint: z.string().nullable().describe("SHA-256 fingerprint of the certificate the bank's signed receipts are verified against (Art 31.2c)"),
  })
  .meta({ id: 'Bank' });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 422: problemSchema };
const params = z.object({ code: safeCode() });

type BankRow = NonNullable<Awaited<ReturnType<typeof findBank>>>;
const toBody = (b: BankRow) => ({ ...b, statusChangedAt: b.statusChangedAt ? b.statusChangedAt.toISOString() : null });

/**
 * Register of connected banks and payment intermediaries (Art 33.2) and the Treasury. VPCP
 * registers them and may suspend or stop one (Art 33.7): new payments through it are refused,
 * payments already in flight complete. Reference data, changed with who/when/why kept.
 */
export const bankRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/', {
    config: { access: { roles: ROLES } },
    schema: { tags: ['banks'], summary: 'Connected banks and intermediaries with their status', response: { 200: z.object({ items: z.array(bankSchema) }), ...errors } },
  }, async () => ({ items: (await listBanks(app.db)).map(toBody) }));

  app.get('/:code', {
    config: { access: { roles: ROLES } },
    schema: {
      tags: ['banks'], summary: 'One bank and the history of its status', params,
      response: { 200: bankSchema.extend({ history: z.array(z.object({ status: z.string(), reason: z.string(), changedBy: z.string(), changedByRole: z.string(), changedAt: z.string() })) }), ...errors },
    },
  }, async (request) => {
    const bank = await findBank(app.db, request.params.code);
    if (!bank) throw problem('not-found', `No bank ${request.params.code}`);
    const history = (await bankHistory(app.db, bank.code)).map((h) => ({ ...h, changedAt: h.changedAt.toISOString() }));
    return { ...toBody(bank), history };
  });

  app.put('/:code', {
    config: { access: { roles: ['vpcp'] }, permission: 'bank.register' },
    schema: {
      tags: ['banks'], summary: "Register a connected bank or intermediary (Art 33.2), or update its names and the certificate its signed receipts are verified against (Art 31.2c)", params,
      body: z.object({
        name: safeText(256), nameVi: safeText(256), kind: z.enum(bankKind.enumValues),
        receiptCertificate: z.string().min(1).max(20_000).optional().describe('X.509 certificate (PEM) of the key that signs the bank\'s receipts; omitted = keep the registered one'),
      }),
      response: { 200: bankSchema, 201: bankSchema, ...errors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { receiptCertificate, ...names } = request.body;
    let certificate: { pem: string; fingerprint: string } | undefined;
    if (receiptCertificate) {
      try {
        const read = readCertificate(receiptCertificate);
        if (Date.parse(read.validTo) < Date.now()) throw problem('refused', `the receipt certificate expired on ${read.validTo}`);
        certificate = { pem: read.certificate.toString(), fingerprint: read.fingerprint };
      } catch (err) {
        if (err instanceof ReceiptRejected) throw problem('validation', err.reason);
        throw err;
      }
    }
    const { created } = await registerBank(app.db, { code: request.params.code, ...names, receiptCertificate: certificate }, actor);
    const bank = await findBank(app.db, request.params.code);
    return reply.status(created ? 201 : 200).send(toBody(bank!));
  });

  const statusChange = (path: string, status: BankStatus, summary: string) =>
    app.post(`/:code/${path}`, {
      config: { access: { roles: ['vpcp'] }, permission: 'bank.register' },
      schema: { tags: ['banks'], summary, params, body: z.object({ reason: safeMultilineText(2000) }), response: { 200: bankSchema, ...errors } },
    }, async (request) => {
      const bank = await setBankStatus(app.db, request.params.code, status, request.body.reason, actorOf(request));
      if (!bank) throw problem('not-found', `No bank ${request.params.code}`);
      return toBody(bank);
    });
  statusChange('suspend', 'suspended', 'VPCP suspends the bank (Art 33.7): new payments refused, payments in flight complete');
  statusChange('stop', 'stopped', 'VPCP stops the bank\'s service on the Portal (Art 33.7)');
  statusChange('resume', 'active', 'VPCP lets the bank provide the service again once it has fixed it (Art 33.7)');
};
