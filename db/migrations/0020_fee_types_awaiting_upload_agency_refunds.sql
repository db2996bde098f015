CREATE TYPE "public"."fee_type_category" AS ENUM('fee', 'charge', 'tax', 'other');--> statement-breakpoint
ALTER TYPE "public"."reconciliation_outcome" ADD VALUE 'awaitingUpload';--> statement-breakpoint
ALTER TYPE "public"."refund_origin" ADD VALUE 'agencyInitiated';--> statement-breakpoint
CREATE TABLE "fee_types" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_vi" text NOT NULL,
	"category" "fee_type_category" NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
