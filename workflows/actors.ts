import { ApplicationFailure } from '@temporalio/workflow';
import type { ActorRef } from '../domain/processes/actors.js';

// The actor types live in domain/processes (db/ and api/ read them too); re-exported for workflow code.
export type { ActionRecord, ActorRef } from '../domain/processes/actors.js';

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
