import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { sql } from 'drizzle-orm';
import { createDatabase, type Database } from './client.js';
import { agencies } from './schema/index.js';
import { agencies as agencySeed } from './seed-data/agencies.js';
import { seedCalendar } from './queries/calendar.js';
import { seedFeeTypes } from './queries/fee-types.js';
import { seedRuleSets } from './queries/rule-sets.js';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies committed drizzle-kit migrations, then upserts reference data. Safe to run repeatedly. */
export async function migrateAndSeed(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder });
  await db
    .insert(agencies)
    .values(agencySeed)
    .onConflictDoUpdate({
      target: agencies.code,
      set: { name: sql`excluded.name`, nameVi: sql`excluded.name_vi`, kind: sql`excluded.kind` },
    });
  await seedCalendar(db);
  await seedFeeTypes(db);
  await seedRuleSets(db);
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../config/index.js');
  // Reads only DATABASE_URL: runs in the local profile unless the environment names another.
  const handle = createDatabase(loadConfig({ DVCQG_PROFILE: 'local', ...process.env }).DATABASE_URL, { max: 1 });
  try {
    await migrateAndSeed(handle.db);
  } finally {
    await handle.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
