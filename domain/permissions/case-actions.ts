import { appliesTo, permissionOfRoute, type Permission } from './catalogue.js';

/**
 * `actionsAllowed` of a case, for the caller: the actions its state allows now (the workflow says
 * which) that this caller would not be refused — by role, by the agency the case needs, and by the
 * caller's permissions. Names are the last segment of the action's route (`coordination-answer`,
 * `state-secret`), so a client posts to `…/{id}/{action}`.
 */
export interface Caller {
  role: string;
  /** The agency / VPCP code the caller acts as (`actorCode`). */
  code: string;
  userId: string;
  /** Permissions the officer holds now; `all` for a caller not managed by grants (non-officers, the local service account). */
  permissions: ReadonlySet<Permission> | 'all';
}

interface Candidate {
  /** The route's last segment. */
  action: string;
  /** Roles the route admits. */
  roles: readonly string[];
  /** Codes (agency / VPCP) that may do it on this case; undefined = any caller of an admitted role. */
  parties?: readonly string[];
  /** This caller is refused whatever its permissions (e.g. the four-eyes rule). */
  excluded?: boolean;
}

/** `route(action)`: the action's route pattern (`POST /v1/…/:id/<action>`), for the permission it needs. */
function allowedFor(caller: Caller, route: (action: string) => string, candidates: readonly Candidate[]): string[] {
  return candidates
    .filter((c) => c.roles.includes(caller.role) && !c.excluded && (!c.parties || c.parties.includes(caller.code)))
    .filter((c) => {
      const permission = permissionOfRoute(route(c.action));
      if (!permission || !appliesTo(permission, caller.role) || caller.permissions === 'all') return true;
      return caller.permissions.has(permission);
    })
    .map((c) => c.action);
}

/** What the feedback read model needs (structurally the workflow's FeedbackView). */
export interface FeedbackCase {
  status: string;
  agency: string;
  reviewingAgency?: string;
  coordination: readonly { agency: string; answeredAt?: string }[];
  result?: { enteredBy: string };
  /** The workflow's state-level list (its own action names). */
  actionsAllowed: readonly string[];
}

/** The workflow's action names → route names (the routes are what callers use). */
const FEEDBACK_ROUTE_OF: Record<string, string> = { answerCoordination: 'coordination-answer', removeStateSecret: 'state-secret' };

/**
 * Feedback (Art 42–45), mirroring the workflow's validators: the handling agency classifies,
 * processes and answers; a coordinating agency answers its request and may escalate; the body that
 * dispatched the item checks and publishes (Art 45.1–45.2), not the officer who entered the result
 * (project rule, four eyes); VPCP may escalate or remove state secrets at any stage.
 */
export function feedbackActionsFor(view: FeedbackCase, caller: Caller): string[] {
  const handler = [view.agency];
  const reviewer = [view.reviewingAgency ?? view.agency];
  const openCoordination = view.coordination.filter((c) => !c.answeredAt).map((c) => c.agency);
  const officers = ['agency', 'vpcp'];
  const rules: Record<string, Omit<Candidate, 'action'>> = {
    'classify': { roles: officers, parties: handler },
    'supplement': { roles: ['portal', 'agency'], ...(caller.role === 'agency' ? { parties: handler } : {}) },
    'coordinate': { roles: officers, parties: handler },
    'coordination-answer': { roles: ['agency'], parties: openCoordination },
    'progress': { roles: officers, parties: handler },
    'result': { roles: officers, parties: handler },
    'review': { roles: officers, parties: reviewer, excluded: view.result?.enteredBy === `${caller.code}/${caller.userId}` },
    'publish': { roles: officers, parties: reviewer },
    'reopen': { roles: ['portal'] },
    'escalate': { roles: officers, parties: [view.agency, 'VPCP', ...view.coordination.map((c) => c.agency)] },
    'state-secret': { roles: officers, parties: [view.agency, 'VPCP'] },
  };
  const candidates = view.actionsAllowed
    .map((name) => FEEDBACK_ROUTE_OF[name] ?? name)
    .flatMap((action) => (rules[action] ? [{ action, ...rules[action] }] : []));
  return allowedFor(caller, (action) => `POST /v1/feedback/:id/${action}`, candidates);
}

/** The workflow's DVCTT action names → route names. */
const DVCTT_ROUTE_OF: Record<string, string> = { submitTestReport: 'test-report', confirmTest: 'confirm', reportFix: 'fix' };

/**
 * DVCTT test loop (Art 27–28): the workflow lists each action its state allows with who may do it
 * (the service's agency or VPCP); the caller gets those it is that party for and holds the permission of.
 */
export function dvcttActionsFor(view: { allowedActions: readonly { action: string; by: string }[] }, caller: Caller): string[] {
  const candidates = view.allowedActions.map(({ action, by }) => ({
    action: DVCTT_ROUTE_OF[action] ?? action, roles: [by === 'VPCP' ? 'vpcp' : 'agency'], parties: [by],
  }));
  return allowedFor(caller, (action) => `POST /v1/dvctt/services/:code/${action}`, candidates);
}

/** Portal account issues (Art 13.1): VPCP's operators act; the workflow names the next step. */
export function accountIssueActionsFor(view: { actionsAllowed: readonly string[] }, caller: Caller): string[] {
  const candidates = view.actionsAllowed.map((action) => ({ action: action === 'notifyParties' ? 'notify-parties' : action, roles: ['vpcp'] }));
  return allowedFor(caller, (action) => `POST /v1/accounts/issues/:id/${action}`, candidates);
}

/** Support-request action names of the workflow → route names. */
const SUPPORT_ROUTE_OF: Record<string, string> = { announceCompletion: 'announce-completion', note: 'notes' };

/**
 * Support and incident requests (Art 51): VPCP announces a completion time and resolves; the
 * requesting agency reopens, closes or withdraws; both add notes.
 */
export function supportRequestActionsFor(view: { agency: string; actionsAllowed: readonly string[] }, caller: Caller): string[] {
  const rules: Record<string, Omit<Candidate, 'action'>> = {
    'announce-completion': { roles: ['vpcp'] },
    'resolve': { roles: ['vpcp'] },
    'notes': { roles: ['agency', 'vpcp'], parties: [view.agency, 'VPCP'] },
    'reopen': { roles: ['agency'], parties: [view.agency] },
    'close': { roles: ['agency'], parties: [view.agency] },
    'withdraw': { roles: ['agency'], parties: [view.agency] },
  };
  const candidates = view.actionsAllowed.map((a) => SUPPORT_ROUTE_OF[a] ?? a).flatMap((action) => (rules[action] ? [{ action, ...rules[action] }] : []));
  return allowedFor(caller, (action) => `POST /v1/operations/support-requests/:id/${action}`, candidates);
}
