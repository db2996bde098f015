CREATE TYPE "public"."evaluation_run_status" AS ENUM('running', 'completed');--> statement-breakpoint
CREATE TYPE "public"."evaluation_trigger" AS ENUM('schedule', 'vpcp');--> statement-breakpoint
CREATE TABLE "evaluation_configs" (
	"version" integer PRIMARY KEY NOT NULL,
	"config" jsonb NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evaluation_results" (
	"run_id" text NOT NULL,
	"agency" text NOT NULL,
	"agency_group" text NOT NULL,
	"score" double precision,
	"level" text,
	"rank" integer,
	"coverage" double precision NOT NULL,
	"threshold" jsonb,
	"indicators" jsonb NOT NULL,
	"explanation" text NOT NULL,
	CONSTRAINT "evaluation_results_run_id_agency_pk" PRIMARY KEY("run_id","agency")
);
--> statement-breakpoint
CREATE TABLE "evaluation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"period_from" date NOT NULL,
	"period_to" date NOT NULL,
	"config_version" integer NOT NULL,
	"trigger" "evaluation_trigger" NOT NULL,
	"requested_by" text,
	"publish" boolean NOT NULL,
	"status" "evaluation_run_status" NOT NULL,
	"agencies" integer DEFAULT 0 NOT NULL,
	"levels" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "evaluation_runs_published_idx" ON "evaluation_runs" USING btree ("published_at") WHERE published_at is not null;--> statement-breakpoint
CREATE INDEX "evaluation_runs_started_idx" ON "evaluation_runs" USING btree ("started_at");