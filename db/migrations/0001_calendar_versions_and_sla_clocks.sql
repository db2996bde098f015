CREATE TYPE "public"."sla_outcome" AS ENUM('pending', 'met', 'breached', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."sla_owner_kind" AS ENUM('agency', 'vpcp', 'bank', 'citizen');--> statement-breakpoint
CREATE TYPE "public"."sla_unit" AS ENUM('workingDays', 'calendarDays', 'workingHours', 'settlementDay');--> statement-breakpoint
CREATE TABLE "calendar_versions" (
	"version" serial PRIMARY KEY NOT NULL,
	"overrides" jsonb NOT NULL,
	"official_years" integer[] NOT NULL,
	"working_hours" jsonb NOT NULL,
	"change" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sla_clocks" (
	"workflow_id" text NOT NULL,
	"clock_key" text NOT NULL,
	"revision" integer NOT NULL,
	"process" text NOT NULL,
	"case_agency" text NOT NULL,
	"owner" text NOT NULL,
	"owner_kind" "sla_owner_kind" NOT NULL,
	"article" text NOT NULL,
	"rule" text NOT NULL,
	"stage" text NOT NULL,
	"unit" "sla_unit" NOT NULL,
	"amount" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"calendar_version" integer NOT NULL,
	"outcome" "sla_outcome" NOT NULL,
	"breached_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"completed_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sla_clocks_workflow_id_clock_key_pk" PRIMARY KEY("workflow_id","clock_key")
);
--> statement-breakpoint
CREATE INDEX "sla_clocks_breached_idx" ON "sla_clocks" USING btree ("outcome","breached_at");--> statement-breakpoint
CREATE INDEX "sla_clocks_owner_breached_idx" ON "sla_clocks" USING btree ("owner","breached_at");--> statement-breakpoint
CREATE INDEX "sla_clocks_case_agency_idx" ON "sla_clocks" USING btree ("case_agency","breached_at");--> statement-breakpoint
CREATE INDEX "sla_clocks_pending_due_idx" ON "sla_clocks" USING btree ("due_at") WHERE completed_at is null and outcome <> 'cancelled';--> statement-breakpoint
CREATE INDEX "sla_clocks_started_idx" ON "sla_clocks" USING btree ("started_at");