import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { insertRuleSet, listRuleSets, loadRuleSet, ruleSetInForceAt, type RuleSetRow } from '../../../db/queries/rule-sets.js';
import { forgetRuleSets } from './pin.js';
import { DEADLINE_UNITS, type DeadlineUnit } from '../../../domain/calendar/types.js';
import {
  deriveRuleSet,
  localDayOf,
  MAX_PERIOD_AMOUNT,
  PERIOD_IDS,
  RULE_SET_ID,
  ruleSetProblems,
  VALUE_SET_IDS,
} from '../../../domain/rules/index.js';
import { changeRuleSetUpdate, type CaseRuleSet } from '../../../workflows/sla.definitions.js';
import { actorOf, ROLES } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { runUpdate } from '../../idempotency.js';
import { realDate, safeText } from '../../schemas.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const ruleSetId = z.string().regex(RULE_SET_ID, 'a rule-set id: lower-case letters, digits, dots and dashes');
const unit = z.enum(DEADLINE_UNITS as [DeadlineUnit, ...DeadlineUnit[]]);

const periodSchema = z.object({
  amount: z.number().int(), unit, article: z.string(),
  inheritedFrom: z.string().optional(), note: z.string().optional(),
}).meta({ id: 'RulePeriod' });
const valueSetSchema = z.object({
  article: z.string(),
  values: z.array(z.object({ code: z.string(), vi: z.string(), en: z.string() })),
  inheritedFrom: z.string().optional(), note: z.string().optional(),
}).meta({ id: 'RuleValueSet' });
const summarySchema = z.object({
  id: z.string(), title: z.string(), titleVi: z.string(), legalSource: z.string(),
  inForceFrom: z.string().nullable(), inForceTo: z.string().nullable(), basedOn: z.string().nullable(),
  reason: z.string(), createdBy: z.string(), createdAt: z.string(),
}).meta({ id: 'RuleSetSummary' });
const ruleSetSchema = summarySchema.extend({
  periods: z.record(z.enum(PERIOD_IDS), periodSchema),
  values: z.record(z.enum(VALUE_SET_IDS), valueSetSchema),
}).meta({ id: 'RuleSet' });

/** What a new version restates; everything else is inherited from `basedOn` (and marked so). */
const periodChange = z.object({
  amount: z.number().int().min(1).max(MAX_PERIOD_AMOUNT).optional(),
  unit: unit.optional(),
  article: safeText(200).optional(),
  note: safeText(1000).optional(),
}).strict();
const valueSetChange = z.object({
  article: safeText(200).optional(),
  values: z.array(z.object({ code: z.string().regex(/^[a-z0-9-]{1,64}$/), vi: safeText(300), en: safeText(300) }).strict()).min(1).max(100).optional(),
  note: safeText(1000).optional(),
}).strict();
const createSchema = z.object({
  id: ruleSetId,
  basedOn: ruleSetId,
  title: safeText(300),
  titleVi: safeText(300),
  legalSource: safeText(1000, 3),
  /** First local day new cases start under it (after today: nothing is back-dated); null: not in force. */
  inForceFrom: realDate.nullable(),
  inForceTo: realDate.nullable().default(null),
  periods: z.partialRecord(z.enum(PERIOD_IDS), periodChange).optional(),
  values: z.partialRecord(z.enum(VALUE_SET_IDS), valueSetChange).optional(),
  reason: safeText(500, 3),
}).strict();

type RuleSetSummaryRow = Omit<RuleSetRow, 'periods' | 'values'>;
const summaryOf = (row: RuleSetSummaryRow) => ({
  id: row.id, title: row.title, titleVi: row.titleVi, legalSource: row.legalSource, inForceFrom: row.inForceFrom, inForceTo: row.inForceTo,
  basedOn: row.basedOn, reason: row.reason, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(),
});
const fullOf = (row: RuleSetRow) => ({ ...summaryOf(row), periods: row.periods, values: row.values });

/**
 * Rule sets (SPEC §5, domain/rules): the regulated periods and value sets as versioned data. Anyone
 * authenticated reads them; VPCP creates new versions (validated, never edited in place) and moves
 * a running case to another set — an explicit update recorded in the case.
 */
export const ruleSetRoutes: FastifyPluginAsyncZod = async (app) => {
  const readers = { access: { roles: ROLES } };
  const writers = { access: { roles: ['vpcp'] as const }, permission: 'ruleSet.manage' as const };

  app.get('/', {
    config: readers,
    schema: {
      tags: ['rule-sets'],
      summary: 'Every rule set, oldest first, and the one new cases start under today',
      response: { 200: z.object({ inForceToday: z.string().nullable(), items: z.array(summarySchema) }), ...errors },
    },
  }, async () => {
    const today = await ruleSetInForceAt(app.db, new Date());
    return { inForceToday: today?.id ?? null, items: (await listRuleSets(app.db)).map(summaryOf) };
  });

  app.get('/in-force', {
    config: readers,
    schema: {
      tags: ['rule-sets'],
      summary: 'The rule set new cases start under on a local day (default today)',
      querystring: z.object({ on: realDate.optional() }),
      response: { 200: ruleSetSchema, ...errors },
    },
  }, async (request) => {
    const at = request.query.on ? new Date(`${request.query.on}T12:00:00+07:00`) : new Date();
    const row = await ruleSetInForceAt(app.db, at);
    if (!row) throw problem('not-found', `No rule set is in force on ${localDayOf(at)}`);
    return fullOf(row);
  });

  app.get('/:id', {
    config: readers,
    schema: {
      tags: ['rule-sets'],
      summary: 'One rule set: its periods (amount, unit, article, inherited or its own) and value sets',
      params: z.object({ id: ruleSetId }),
      response: { 200: ruleSetSchema, ...errors },
    },
  }, async (request) => {
    const row = await loadRuleSet(app.db, request.params.id);
    if (!row) throw problem('not-found', `No rule set ${request.params.id}`);
    return fullOf(row);
  });

  app.post('/', {
    config: writers,
    schema: {
      tags: ['rule-sets'],
      summary: 'VPCP: a new rule set, based on another; what it does not restate is inherited (and marked so)',
      body: createSchema,
      response: { 201: ruleSetSchema, ...errors, 409: problemSchema, 422: problemSchema },
    },
  }, async (request, reply) => {
    const { basedOn, reason, periods, values, ...head } = request.body;
    const base = await loadRuleSet(app.db, basedOn);
    if (!base) throw problem('unprocessable', `No rule set ${basedOn}`, [{ path: 'body.basedOn', message: 'unknown rule set' }]);
    // Project rule: a version applies from a later day only, so that the set in force on any past day never changes.
    const today = localDayOf(new Date());
    if (head.inForceFrom !== null && head.inForceFrom <= today) {
      throw problem('unprocessable', `inForceFrom must be after today (${today}): a rule set is never back-dated`, [{ path: 'body.inForceFrom', message: 'after today' }]);
    }
    const set = deriveRuleSet(base, { ...head, periods, values });
    const problems = ruleSetProblems(set);
    if (problems.length > 0) throw problem('validation', 'The rule set is not valid', problems.map((p) => ({ path: `body.${p.path}`, message: p.message })));
    if (!(await insertRuleSet(app.db, set, reason, actorOf(request).userId))) throw problem('already-exists', `Rule set ${set.id} exists; a rule set is never changed — create a new one`);
    forgetRuleSets(app.db);
    const row = await loadRuleSet(app.db, set.id);
    request.log.info({ ruleSetId: set.id, basedOn, inForceFrom: set.inForceFrom }, 'rule set created');
    return reply.status(201).send(fullOf(row as RuleSetRow));
  });

  app.post('/cases/:workflowId', {
    config: writers,
    schema: {
      tags: ['rule-sets'],
      summary: 'VPCP: move a running case to another rule set (clocks started from now on use it; running clocks keep theirs)',
      params: z.object({ workflowId: z.string().regex(/^[A-Za-z0-9._:@#-]{3,200}$/, 'a case (workflow) id') }),
      body: z.object({ ruleSetId, reason: safeText(500, 3) }).strict(),
      response: {
        200: z.object({
          id: z.string(),
          periods: z.record(z.string(), periodSchema),
          changes: z.array(z.object({ at: z.string(), by: z.string(), reason: z.string(), from: z.string(), to: z.string() })).optional(),
        }),
        ...errors, 409: problemSchema, 422: problemSchema,
      },
    },
  }, async (request) => {
    const set = await loadRuleSet(app.db, request.body.ruleSetId);
    if (!set) throw problem('unprocessable', `No rule set ${request.body.ruleSetId}`, [{ path: 'body.ruleSetId', message: 'unknown rule set' }]);
    const handle = app.temporal.workflow.getHandle(request.params.workflowId);
    const result: CaseRuleSet = await runUpdate(request, handle, changeRuleSetUpdate, [{
      actor: actorOf(request), reason: request.body.reason, ruleSet: { id: set.id, periods: set.periods },
    }]);
    request.log.info({ workflowId: request.params.workflowId, ruleSetId: set.id }, 'case moved to another rule set');
    return result;
  });
};
