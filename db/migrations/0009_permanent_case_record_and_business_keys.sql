CREATE TABLE "business_keys" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"workflow_id" text NOT NULL,
	"content_sha256" text NOT NULL,
	"started" boolean DEFAULT false NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "business_keys_kind_key_pk" PRIMARY KEY("kind","key")
);
--> statement-breakpoint
CREATE TABLE "case_runs" (
	"run_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"workflow_type" text NOT NULL,
	"run_seq" integer NOT NULL,
	"previous_run_id" text,
	"task_queue" text NOT NULL,
	"agency" text,
	"process" text,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone NOT NULL,
	"event_count" integer NOT NULL,
	"history_gzip" "bytea" NOT NULL,
	"history_bytes" integer NOT NULL,
	"history_sha256" text NOT NULL,
	"sha256" text NOT NULL,
	"previous_sha256" text,
	"final_queries" jsonb,
	"copied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "record_sweeps" (
	"task_queue" text PRIMARY KEY NOT NULL,
	"watermark" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone NOT NULL,
	"last_copied" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "business_keys_workflow_idx" ON "business_keys" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "case_runs_workflow_idx" ON "case_runs" USING btree ("workflow_id","closed_at");--> statement-breakpoint
CREATE INDEX "case_runs_closed_idx" ON "case_runs" USING btree ("closed_at");