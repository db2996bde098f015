CREATE TABLE "reconciliation_summaries" (
	"txn_date" date NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"fee_type_code" text NOT NULL,
	"outcome" "reconciliation_outcome" NOT NULL,
	"status" text NOT NULL,
	"transactions" integer NOT NULL,
	"portal_total" bigint NOT NULL,
	"bank_total" bigint NOT NULL,
	"agency_total" bigint NOT NULL,
	CONSTRAINT "reconciliation_summaries_txn_date_agency_bank_fee_type_code_outcome_status_pk" PRIMARY KEY("txn_date","agency","bank","fee_type_code","outcome","status")
);
--> statement-breakpoint
INSERT INTO "reconciliation_summaries" ("txn_date", "agency", "bank", "fee_type_code", "outcome", "status", "transactions", "portal_total", "bank_total", "agency_total")
SELECT "txn_date", "agency", "bank", coalesce("fee_type_code", ''), "outcome", coalesce("portal_status", "bank_status", "agency_status", ''), count(*)::int,
  coalesce(sum("portal_amount") FILTER (WHERE "portal_status" = 'success'), 0), coalesce(sum("bank_amount") FILTER (WHERE "bank_status" = 'success'), 0),
  coalesce(sum("agency_amount") FILTER (WHERE "agency_status" = 'success'), 0)
FROM "reconciliation_results"
GROUP BY "txn_date", "agency", "bank", coalesce("fee_type_code", ''), "outcome", coalesce("portal_status", "bank_status", "agency_status", '');
