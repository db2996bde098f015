CREATE TABLE "consistency_findings" (
	"run_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"cause" text NOT NULL,
	"repair" text NOT NULL,
	"detail" text NOT NULL,
	"temporal" jsonb NOT NULL,
	"projection" jsonb NOT NULL,
	CONSTRAINT "consistency_findings_run_id_seq_pk" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "consistency_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"from_workflow_id" text NOT NULL,
	"next_workflow_id" text NOT NULL,
	"visibility_page_token" text,
	"cycle_completed" boolean NOT NULL,
	"cases_checked" integer NOT NULL,
	"disagreements" integer NOT NULL,
	"repaired" integer NOT NULL,
	"by_cause" jsonb NOT NULL,
	"findings_kept" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "consistency_findings" ADD CONSTRAINT "consistency_findings_run_id_consistency_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."consistency_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consistency_runs_scope_idx" ON "consistency_runs" USING btree ("scope","id");