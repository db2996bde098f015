CREATE TYPE "public"."dvctt_round_outcome" AS ENUM('open', 'rejected', 'failed', 'passed', 'withdrawn', 'closed');--> statement-breakpoint
CREATE TYPE "public"."dvctt_status" AS ENUM('declared', 'proposed', 'returned', 'published-for-testing', 'test-reported', 'unpublished', 'live', 'suspended', 'stopped', 'withdrawn', 'closed');--> statement-breakpoint
CREATE TABLE "dvctt_actions" (
	"service_code" text NOT NULL,
	"seq" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"action" text NOT NULL,
	"actor" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"note" text,
	"data" jsonb,
	CONSTRAINT "dvctt_actions_service_code_seq_pk" PRIMARY KEY("service_code","seq")
);
--> statement-breakpoint
CREATE TABLE "dvctt_rounds" (
	"service_code" text NOT NULL,
	"round" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"outcome" "dvctt_round_outcome" NOT NULL,
	"proposed_at" timestamp with time zone NOT NULL,
	"proposed_by" text NOT NULL,
	"review" jsonb,
	"test_report" jsonb,
	"confirmation" jsonb,
	"clock_keys" text[] NOT NULL,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dvctt_rounds_service_code_round_pk" PRIMARY KEY("service_code","round")
);
--> statement-breakpoint
CREATE TABLE "dvctt_services" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"tthc_code" text NOT NULL,
	"agency" text NOT NULL,
	"level" smallint NOT NULL,
	"declared_by" text NOT NULL,
	"declared_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" "dvctt_status" DEFAULT 'declared' NOT NULL,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"current_round" integer,
	"workflow_id" text,
	"revision" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dvctt_services_level_check" CHECK ("dvctt_services"."level" in (3, 4))
);
--> statement-breakpoint
ALTER TABLE "dvctt_actions" ADD CONSTRAINT "dvctt_actions_service_code_dvctt_services_code_fk" FOREIGN KEY ("service_code") REFERENCES "public"."dvctt_services"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dvctt_rounds" ADD CONSTRAINT "dvctt_rounds_service_code_dvctt_services_code_fk" FOREIGN KEY ("service_code") REFERENCES "public"."dvctt_services"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dvctt_services" ADD CONSTRAINT "dvctt_services_agency_agencies_code_fk" FOREIGN KEY ("agency") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dvctt_rounds_outcome_idx" ON "dvctt_rounds" USING btree ("outcome");--> statement-breakpoint
CREATE INDEX "dvctt_services_status_idx" ON "dvctt_services" USING btree ("status","status_changed_at");--> statement-breakpoint
CREATE INDEX "dvctt_services_agency_idx" ON "dvctt_services" USING btree ("agency");--> statement-breakpoint
CREATE INDEX "dvctt_services_workflow_idx" ON "dvctt_services" USING btree ("workflow_id");