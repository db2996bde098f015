import { ApplicationFailure } from '@temporalio/workflow';

/**
 * Who did something: passed by the API with every start and update, checked by update
 * validators, and recorded with every action. Structurally the API's authenticated `Actor`.
 */
export interface ActorRef {
  userId: string;
  role: 'agency' | 'vpcp' | 'bank' | 'auditor' | 'portal';
  agency?: string;
  bank?: string;
  /**
   * The officer permission the API authorized the action by (domain/permissions/catalogue.ts) and
   * the grant that gave it (absent for the local profile's service account): carried in the update's
   * arguments, so every action in the history names what allowed it (Art 41.2, 48.2). Optional:
   * histories recorded before permissions existed replay unchanged.
   */
  permission?: string;
  grant?: string;
}

/** One recorded human or system action of a case, in business terms. */
export interface ActionRecord {
  /** Sequence within the case, from 1. */
  seq: number;
  action: string;
  actor: ActorRef;
  at: string;
  /** Free text the actor gave (reason, note), if any. */
  note?: string;
  data?: Record<string, unknown>;
}

/**
 * Refusals thrown from update validators and handlers; the API maps the type to an HTTP status
 * (InvalidTransition → 409, Busy → 409 with Retry-After, Forbidden → 403, Validation → 400,
 * Refused → 422, NotFound → 404).
 */
export type RefusalType = 'InvalidTransition' | 'Busy' | 'Forbidden' | 'Validation' | 'Refused' | 'NotFound';

export function refuse(type: RefusalType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function requireRole(actor: ActorRef | undefined, roles: readonly ActorRef['role'][], action: string): asserts actor is ActorRef {
  if (!actor?.userId) refuse('Validation', `${action}: the acting user is required`);
  if (!roles.includes(actor.role)) refuse('Forbidden', `${action}: role ${actor.role} may not do this (allowed: ${roles.join(', ')})`);
}

/** An agency officer may act only for their own agency; VPCP acts as itself (agency 'VPCP'). */
export function requireAgency(actor: ActorRef, agency: string, action: string): void {
  const own = actor.role === 'vpcp' ? 'VPCP' : actor.agency;
  if (own !== agency) refuse('Forbidden', `${action}: ${actor.role} ${own ?? '?'} may not act for agency ${agency}`);
}

/** The agency / VPCP / bank code an actor acts as. */
export const actorCode = (actor: ActorRef): string => (actor.role === 'vpcp' ? 'VPCP' : actor.agency ?? actor.bank ?? actor.userId);

/**
 * Serializes a case's update handlers. While one action awaits its activities (a deadline, a
 * database write), the validators of other actions refuse with a retryable reason, so two
 * handlers never interleave on the same state and no clock is completed before it exists.
 * Use `gate.assertFree(name)` first in every validator and wrap every handler in `gate.run`.
 */
export class ActionGate {
  private current: string | undefined;

  assertFree(action: string): void {
    if (this.current) refuse('Busy', `${action}: the case is busy with "${this.current}"; try again in a moment`);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  async run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    this.assertFree(action);
    this.current = action;
    try {
      return await fn();
    } finally {
      this.current = undefined;
    }
  }
}
