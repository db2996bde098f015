CREATE TABLE "sla_outcome_counts" (
	"grain" text NOT NULL,
	"period_start" date NOT NULL,
	"owner" text NOT NULL,
	"owner_kind" "sla_owner_kind" NOT NULL,
	"process" text NOT NULL,
	"met" integer NOT NULL,
	"breached" integer NOT NULL,
	CONSTRAINT "sla_outcome_counts_grain_period_start_owner_owner_kind_process_pk" PRIMARY KEY("grain","period_start","owner","owner_kind","process")
);
