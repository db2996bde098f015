import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.js';
import { REFUSED_DATA } from '../../activities/errors.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { testDatabase, testLogger, uniqueId } from '../support/env.js';

describe('an activity that cannot succeed fails at once instead of wedging its case', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('data PostgreSQL refuses (a NUL byte: SQLSTATE 22021) is a non-retryable failure naming the activity, not the data', async () => {
    const activities = createActivities({ db: database.db, logger: testLogger() });
    const secret = uniqueId('citizen-data');
    const failure = await activities.recordDiagnosticProbe({ workflowId: `${secret}\u0000`, requestedBy: 'test' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: REFUSED_DATA, nonRetryable: true, message: expect.stringMatching(/^recordDiagnosticProbe: .*SQLSTATE 22021/) });
    expect((failure as Error).message).not.toContain(secret);
  });

  it('a transient fault (PostgreSQL unreachable) stays retryable: the error is passed on unchanged', async () => {
    const down = createDatabase('postgres://dvcqg:dvcqg@127.0.0.1:1/nowhere');
    try {
      const activities = createActivities({ db: down.db, logger: testLogger() });
      const failure = await activities.recordDiagnosticProbe({ workflowId: uniqueId('probe'), requestedBy: 'test' }).catch((err: unknown) => err);
      expect(failure).not.toBeInstanceOf(ApplicationFailure);
      expect((failure as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    } finally {
      await down.close();
    }
  });
});
