/** Who acts on a case and what a case records of it: read by every layer, so kept below them all. */

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
