import type { Executor } from '../../db/client.js';
import { upsertSlaClock } from '../../db/queries/sla.js';
import { clockKindOf, type SlaClock } from '../../workflows/sla.definitions.js';

/** One `sla_clocks` row written through the projection's own upsert; every field can be overridden. */
export async function insertClock(
  db: Executor,
  row: { workflowId: string; process: string; caseAgency: string } & Partial<SlaClock>,
): Promise<SlaClock> {
  const { workflowId, process, caseAgency, ...overrides } = row;
  const clock: SlaClock = {
    key: 'review',
    article: 'Art 27.3',
    step: 'VPCP reviews the proposal',
    stepVi: 'VPCP xem xét đề nghị',
    owner: 'VPCP',
    ownerKind: 'vpcp',
    amount: 2,
    unit: 'workingDays',
    stage: 'review',
    startedAt: '2026-03-02T02:00:00.000Z',
    dueAt: '2026-03-04T16:59:59.999Z',
    dueLocal: '2026-03-04T23:59:59.999+07:00',
    calendarVersion: 1,
    rule: 'Civil Code 2015 Art 147.3, 148.1, 148.6',
    explanation: '2 working day(s) after event day 2026-03-02',
    explanationVi: '2 ngày làm việc kể từ ngày tiếp theo ngày 2026-03-02',
    outcome: 'pending',
    recomputations: [],
    revision: 1,
    ...overrides,
    kind: clockKindOf({ ownerKind: overrides.ownerKind ?? 'vpcp', article: overrides.article ?? 'Art 27.3', kind: overrides.kind }),
  };
  await upsertSlaClock(db, { workflowId, process, caseAgency, stage: clock.stage, clock });
  return clock;
}
