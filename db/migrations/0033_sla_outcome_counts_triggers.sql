-- Issue 18.3: sla_outcome_counts follows sla_clocks: counted (regulated) met and breached clocks per
-- owner and process, by local (+07:00) day and month of the due instant. Statement triggers with
-- transition tables: one aggregated upsert per statement (a bulk insert of 1,000,000 clocks is one
-- pass), count rows upserted in key order (concurrent writers lock them in the same order: no
-- deadlock), groups whose counts do not change skipped (most writes: a pending clock, a revision that
-- keeps its outcome). TRUNCATE of sla_clocks is not followed: nothing truncates it.
CREATE FUNCTION sla_outcome_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO sla_outcome_counts AS c (grain, period_start, owner, owner_kind, process, met, breached)
    SELECT g.grain, g.start, ch.owner, ch.owner_kind, ch.process,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0)::int,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0)::int
    FROM (SELECT due_at, owner, owner_kind, process, outcome, 1 AS sign FROM new_rows WHERE kind = 'regulated' AND outcome IN ('met', 'breached')) AS ch
    CROSS JOIN LATERAL (VALUES ('day', (ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date),
                               ('month', date_trunc('month', ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date)) AS g(grain, start)
    GROUP BY 1, 2, 3, 4, 5
    HAVING coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0) <> 0 OR coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (grain, period_start, owner, owner_kind, process) DO UPDATE SET met = c.met + excluded.met, breached = c.breached + excluded.breached;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO sla_outcome_counts AS c (grain, period_start, owner, owner_kind, process, met, breached)
    SELECT g.grain, g.start, ch.owner, ch.owner_kind, ch.process,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0)::int,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0)::int
    FROM (SELECT due_at, owner, owner_kind, process, outcome, 1 AS sign FROM new_rows WHERE kind = 'regulated' AND outcome IN ('met', 'breached') UNION ALL SELECT due_at, owner, owner_kind, process, outcome, -1 AS sign FROM old_rows WHERE kind = 'regulated' AND outcome IN ('met', 'breached')) AS ch
    CROSS JOIN LATERAL (VALUES ('day', (ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date),
                               ('month', date_trunc('month', ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date)) AS g(grain, start)
    GROUP BY 1, 2, 3, 4, 5
    HAVING coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0) <> 0 OR coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (grain, period_start, owner, owner_kind, process) DO UPDATE SET met = c.met + excluded.met, breached = c.breached + excluded.breached;
  ELSE
    INSERT INTO sla_outcome_counts AS c (grain, period_start, owner, owner_kind, process, met, breached)
    SELECT g.grain, g.start, ch.owner, ch.owner_kind, ch.process,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0)::int,
           coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0)::int
    FROM (SELECT due_at, owner, owner_kind, process, outcome, -1 AS sign FROM old_rows WHERE kind = 'regulated' AND outcome IN ('met', 'breached')) AS ch
    CROSS JOIN LATERAL (VALUES ('day', (ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date),
                               ('month', date_trunc('month', ch.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date)) AS g(grain, start)
    GROUP BY 1, 2, 3, 4, 5
    HAVING coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'met'), 0) <> 0 OR coalesce(sum(ch.sign) FILTER (WHERE ch.outcome = 'breached'), 0) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (grain, period_start, owner, owner_kind, process) DO UPDATE SET met = c.met + excluded.met, breached = c.breached + excluded.breached;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
INSERT INTO sla_outcome_counts (grain, period_start, owner, owner_kind, process, met, breached)
SELECT g.grain, g.start, c.owner, c.owner_kind, c.process,
       count(*) FILTER (WHERE c.outcome = 'met')::int, count(*) FILTER (WHERE c.outcome = 'breached')::int
FROM sla_clocks AS c
CROSS JOIN LATERAL (VALUES ('day', (c.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date),
                           ('month', date_trunc('month', c.due_at AT TIME ZONE 'UTC' + interval '7 hours')::date)) AS g(grain, start)
WHERE c.kind = 'regulated' AND c.outcome IN ('met', 'breached')
GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
CREATE TRIGGER sla_outcome_counts_insert AFTER INSERT ON sla_clocks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sla_outcome_counts_apply();
--> statement-breakpoint
CREATE TRIGGER sla_outcome_counts_update AFTER UPDATE ON sla_clocks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sla_outcome_counts_apply();
--> statement-breakpoint
CREATE TRIGGER sla_outcome_counts_delete AFTER DELETE ON sla_clocks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sla_outcome_counts_apply();
