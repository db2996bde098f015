CREATE TYPE "public"."tthc_authority_kind" AS ENUM('minister', 'provincial-chairman', 'shortened-procedure');--> statement-breakpoint
CREATE TYPE "public"."tthc_decision_stage" AS ENUM('entering', 'checked', 'published');--> statement-breakpoint
CREATE TYPE "public"."tthc_level" AS ENUM('central', 'provincial', 'district', 'commune');--> statement-breakpoint
CREATE TYPE "public"."tthc_procedure_status" AS ENUM('published', 'repealed');--> statement-breakpoint
CREATE TYPE "public"."tthc_review_stage" AS ENUM('awaiting-fix', 'fix-submitted', 'accepted');--> statement-breakpoint
CREATE TYPE "public"."tthc_version_status" AS ENUM('published', 'superseded', 'repealed');--> statement-breakpoint
CREATE TABLE "tthc_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"revision" integer NOT NULL,
	"number" text NOT NULL,
	"title" text NOT NULL,
	"agency" text NOT NULL,
	"authority_kind" "tthc_authority_kind" NOT NULL,
	"signed_on" date NOT NULL,
	"legal_effective_on" date NOT NULL,
	"stage" "tthc_decision_stage" NOT NULL,
	"items" jsonb NOT NULL,
	"late_issue" boolean NOT NULL,
	"issue_timing" jsonb,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tthc_procedures" (
	"code" text PRIMARY KEY NOT NULL,
	"agency" text NOT NULL,
	"localizes_code" text,
	"interconnected" boolean DEFAULT false NOT NULL,
	"current_version" integer NOT NULL,
	"status" "tthc_procedure_status" NOT NULL,
	"name" text NOT NULL,
	"field" text NOT NULL,
	"level" "tthc_level" NOT NULL,
	"implementing_agency" text NOT NULL,
	"central_amended_version" integer,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tthc_publications" (
	"decision_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"result" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tthc_reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"revision" integer NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"agency" text NOT NULL,
	"stage" "tthc_review_stage" NOT NULL,
	"findings" jsonb NOT NULL,
	"rounds" jsonb NOT NULL,
	"corrected_version" integer,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tthc_versions" (
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"status" "tthc_version_status" NOT NULL,
	"decision_id" text NOT NULL,
	"review_id" text,
	"closed_by_decision_id" text,
	"name" text NOT NULL,
	"field" text NOT NULL,
	"level" "tthc_level" NOT NULL,
	"implementing_agency" text NOT NULL,
	"components" jsonb NOT NULL,
	"central_version" integer,
	"interconnected_with" jsonb,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_to" timestamp with time zone,
	CONSTRAINT "tthc_versions_code_version_pk" PRIMARY KEY("code","version")
);
--> statement-breakpoint
CREATE INDEX "tthc_decisions_agency_idx" ON "tthc_decisions" USING btree ("agency","signed_on");--> statement-breakpoint
CREATE INDEX "tthc_decisions_late_idx" ON "tthc_decisions" USING btree ("late_issue");--> statement-breakpoint
CREATE INDEX "tthc_procedures_localizes_idx" ON "tthc_procedures" USING btree ("localizes_code");--> statement-breakpoint
CREATE INDEX "tthc_procedures_search_idx" ON "tthc_procedures" USING btree ("agency","field","level","status");--> statement-breakpoint
CREATE INDEX "tthc_reviews_agency_idx" ON "tthc_reviews" USING btree ("agency","stage");--> statement-breakpoint
CREATE INDEX "tthc_reviews_code_idx" ON "tthc_reviews" USING btree ("code");--> statement-breakpoint
CREATE INDEX "tthc_versions_valid_idx" ON "tthc_versions" USING btree ("code","valid_from","valid_to");--> statement-breakpoint
CREATE UNIQUE INDEX "tthc_versions_one_open_idx" ON "tthc_versions" USING btree ("code") WHERE valid_to is null;