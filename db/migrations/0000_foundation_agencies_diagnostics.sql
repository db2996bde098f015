CREATE TYPE "public"."agency_kind" AS ENUM('ministry', 'sector', 'province', 'government-office');--> statement-breakpoint
CREATE TABLE "agencies" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_vi" text NOT NULL,
	"kind" "agency_kind" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "diagnostic_probes" (
	"workflow_id" text PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL
);
