/**
 * The P1 rules as configuration with their citations, and the pure checks shared by the workflow,
 * the activities and the API (no I/O here: workflow code imports it).
 */
import type { PeriodId } from '../rules/types.js';
import type {
  AuthorityKind,
  CheckGap,
  DecisionItem,
  LocalDetails,
  LocalizationRecord,
  PublisherKind,
  TthcContent,
} from './types.js';

/**
 * Entering and publishing the data of a signed decision (Regulation Art 15.2 → Decree 63/2010
 * Art 24, as amended by Decrees 48/2013 and 92/2017), counted from the signing day: the period of
 * the case's rule set (domain/rules) for who signed.
 */
export const PUBLICATION_PERIOD: Record<AuthorityKind, PeriodId> = {
  minister: 'tthc.publish.minister',
  'provincial-chairman': 'tthc.publish.provincialChairman',
  'shortened-procedure': 'tthc.publish.shortenedProcedure',
};

/**
 * Decree 63/2010 Art 15 (as amended by Decree 92/2017): the decision must be issued at least this
 * long before the legal document that defines the TTHCs takes effect — the period of the case's
 * rule set for the publisher. Decree 92/2017 counts in working days. Laws made by the shortened
 * procedure may take effect on signing: no lead applies (project rule). A late decision is flagged,
 * not refused (project rule): the data must still be published, and refusing it would keep the
 * public catalogue wrong.
 */
export const ISSUE_LEAD_PERIOD: Record<PublisherKind, PeriodId> = {
  ministry: 'tthc.issueLead.ministry',
  sector: 'tthc.issueLead.sector',
  province: 'tthc.issueLead.province',
};

/** Which authority may sign for which kind of publisher (Decree 63 Art 15). */
export function authorityAllowed(authority: AuthorityKind, publisher: PublisherKind): boolean {
  if (authority === 'shortened-procedure') return true;
  return authority === 'provincial-chairman' ? publisher === 'province' : publisher !== 'province';
}

/** The local midnight (UTC+7, no DST) a 'YYYY-MM-DD' date starts at, as an ISO instant. */
export const startOfLocalDay = (date: string): string => new Date(`${date}T00:00:00+07:00`).toISOString();

/** A URL- and id-safe decision id: `<agency>.<number without diacritics>`, e.g. `BTP.12-qd-btp`. */
export function decisionIdOf(agency: string, number: string): string {
  const slug = number
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${agency}.${slug}`;
}

export const agencyOfDecisionId = (decisionId: string): string => decisionId.split('.')[0] ?? '';

/** The code of a province's localized copy of a central TTHC. */
export const localizedCode = (centralCode: string, province: string): string => `${centralCode}@${province}`;

/** The TTHC code an item creates or changes. */
export const itemCode = (item: DecisionItem, agency: string): string =>
  item.kind === 'localized' ? localizedCode(item.centralCode, agency) : item.code;

/** The central code an item refers to, for replacing / removing items by code. */
export const itemKey = (item: DecisionItem): string => (item.kind === 'localized' ? item.centralCode : item.code);

/**
 * Art 16.4 completeness: the components every TTHC must state (Decree 63/2010 Art 8.2).
 * `fees` must be stated, an empty list meaning free of charge.
 */
export function contentGaps(code: string, content: TthcContent | undefined): CheckGap[] {
  const gaps: CheckGap[] = [];
  const missing = (component: string) => gaps.push({ code, component, problem: 'missing' });
  if (!content) return [{ code, component: 'content', problem: 'missing' }];
  if (!content.name?.trim()) missing('name');
  if (!content.field?.trim()) missing('field');
  if (!content.level) missing('level');
  if (!content.implementingAgency?.trim()) missing('implementingAgency');
  const c = content.components ?? {};
  if (!c.steps?.length) missing('components.steps');
  if (!c.channels?.length) missing('components.channels');
  if (!c.dossier?.length) missing('components.dossier');
  if (!c.processingTime?.trim()) missing('components.processingTime');
  if (!c.subjects?.length) missing('components.subjects');
  if (!c.result?.trim()) missing('components.result');
  if (!c.fees) missing('components.fees');
  if (!c.legalBasis?.length) missing('components.legalBasis');
  return gaps;
}

/** A localized copy: the central content with the province's details laid over it (Art 17.2). */
export function localize(central: Required<Omit<TthcContent, 'components'>> & Pick<TthcContent, 'components'>, local: LocalDetails): Required<Omit<TthcContent, 'components'>> & Pick<TthcContent, 'components'> {
  return {
    name: central.name,
    field: central.field,
    level: local.level ?? central.level,
    implementingAgency: local.implementingAgency ?? central.implementingAgency,
    components: {
      ...central.components,
      ...(local.processingTime ? { processingTime: local.processingTime } : {}),
      ...(local.place ? { place: local.place } : {}),
      ...(local.fees ? { fees: local.fees } : {}),
    },
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date 'YYYY-MM-DD' (no 30 February). */
function isRealDate(d: string | undefined): boolean {
  const t = ISO_DATE.test(d ?? '') ? Date.parse(`${d}T00:00:00Z`) : NaN;
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/**
 * Art 17.2: a localization names the provincial acts its local details rest on — at least one,
 * each with its number and a real issue date not after the localizing decision was signed.
 */
export function localizationGaps(code: string, local: LocalDetails, signedOn: string): CheckGap[] {
  const acts = local.legalBasis ?? [];
  if (acts.length === 0) return [{ code, component: 'local.legalBasis', problem: 'missing: the provincial act (number, date) the local details rest on (Art 17.2)' }];
  const gaps: CheckGap[] = [];
  for (const act of acts) {
    const gap = (problem: string) => gaps.push({ code, component: 'local.legalBasis', problem: `${act.number || '(no number)'}: ${problem}` });
    if (!act.number?.trim()) gap('the act has no number');
    if (!isRealDate(act.issuedOn)) gap('the issue date is not a real date');
    else if (act.issuedOn > signedOn) gap(`issued on ${act.issuedOn}, after the decision was signed (${signedOn})`);
  }
  if (local.authorizedAgency !== undefined && !local.authorizedAgency.trim()) gaps.push({ code, component: 'local.authorizedAgency', problem: 'empty' });
  return gaps;
}

/** What a localized version records of its localization (Art 17.2). */
export const localizationOf = (local: LocalDetails): LocalizationRecord => ({
  ...(local.authorizedAgency ? { authorizedAgency: local.authorizedAgency } : {}),
  legalBasis: local.legalBasis ?? [],
});

/** Only provinces localize central TTHCs (Art 17.2, 18.2); every publisher may list the other kinds (Art 17–20). */
export const itemKindAllowed = (kind: DecisionItem['kind'], publisher: PublisherKind): boolean =>
  kind !== 'localized' || publisher === 'province';
