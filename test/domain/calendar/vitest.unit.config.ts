import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Pure unit tests of the calendar engine: no global setup (no database, no Temporal server).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['test/domain/calendar/**/*.test.ts'],
  },
});
