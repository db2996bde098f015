import { isSupervisor, type Actor } from '../../auth.js';
import { problem } from '../../errors.js';

/** A bank reads its own pairs, an agency its own, supervisors everything (Art 34.2: each party reconciles its own). */
export function scopeOf<T extends { agency?: string; bank?: string }>(actor: Actor, requested: T): T {
  if (actor.role === 'bank') return { ...requested, bank: actor.bank };
  if (actor.role === 'agency') return { ...requested, agency: actor.agency };
  return requested;
}

export function assertPairScope(actor: Actor, pair: { agency: string; bank: string }) {
  if (isSupervisor(actor)) return;
  if (actor.role === 'agency' && actor.agency === pair.agency) return;
  if (actor.role === 'bank' && actor.bank === pair.bank) return;
  throw problem('wrong-scope', `${actor.role} ${actor.agency ?? actor.bank ?? ''} may not see ${pair.agency} × ${pair.bank}`);
}
