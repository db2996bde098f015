CREATE TABLE "rule_sets" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"title_vi" text NOT NULL,
	"legal_source" text NOT NULL,
	"in_force_from" date,
	"in_force_to" date,
	"based_on" text,
	"periods" jsonb NOT NULL,
	"values" jsonb NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sla_clocks" ADD COLUMN "rule_set_id" text;--> statement-breakpoint
CREATE INDEX "rule_sets_in_force_idx" ON "rule_sets" USING btree ("in_force_from");