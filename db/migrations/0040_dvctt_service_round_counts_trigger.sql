-- Issue 18.3: dvctt_services' round counts follow dvctt_rounds (rounds, and those ended rejected,
-- failed, passed), in the same transaction as the round they count. A row trigger: the projection
-- writes one round per transaction, after updating (and so locking) its service's row.
CREATE FUNCTION dvctt_service_round_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE dvctt_services SET
      round_count = round_count - 1,
      rounds_rejected = rounds_rejected - (OLD.outcome = 'rejected')::int,
      rounds_failed = rounds_failed - (OLD.outcome = 'failed')::int,
      rounds_passed = rounds_passed - (OLD.outcome = 'passed')::int
    WHERE code = OLD.service_code;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE dvctt_services SET
      round_count = round_count + 1,
      rounds_rejected = rounds_rejected + (NEW.outcome = 'rejected')::int,
      rounds_failed = rounds_failed + (NEW.outcome = 'failed')::int,
      rounds_passed = rounds_passed + (NEW.outcome = 'passed')::int
    WHERE code = NEW.service_code;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER dvctt_rounds_count_insert AFTER INSERT OR DELETE ON dvctt_rounds FOR EACH ROW EXECUTE FUNCTION dvctt_service_round_counts_apply();
--> statement-breakpoint
CREATE TRIGGER dvctt_rounds_count_update AFTER UPDATE OF service_code, outcome ON dvctt_rounds FOR EACH ROW
  WHEN (OLD.service_code IS DISTINCT FROM NEW.service_code OR OLD.outcome IS DISTINCT FROM NEW.outcome) EXECUTE FUNCTION dvctt_service_round_counts_apply();
--> statement-breakpoint
UPDATE dvctt_services s SET round_count = r.n, rounds_rejected = r.rejected, rounds_failed = r.failed, rounds_passed = r.passed
FROM (SELECT service_code, count(*)::int AS n,
             count(*) FILTER (WHERE outcome = 'rejected')::int AS rejected,
             count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
             count(*) FILTER (WHERE outcome = 'passed')::int AS passed
      FROM dvctt_rounds GROUP BY service_code) AS r
WHERE s.code = r.service_code;
