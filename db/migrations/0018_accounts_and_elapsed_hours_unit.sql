ALTER TYPE "public"."sla_unit" ADD VALUE 'hours';--> statement-breakpoint
CREATE TABLE "account_activity_batches" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"content_sha256" text NOT NULL,
	"events" integer NOT NULL,
	"accounts" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_issues" (
	"case_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"parties" text[] DEFAULT '{}'::text[] NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"parties_notified_at" timestamp with time zone,
	"accepted_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"account_id" text PRIMARY KEY NOT NULL,
	"last_activity_at" timestamp with time zone NOT NULL,
	"notice_stage" smallint DEFAULT 0 NOT NULL,
	"next_action_at" timestamp with time zone,
	"last_notice_at" timestamp with time zone,
	"locked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "account_issues_status_idx" ON "account_issues" USING btree ("status","received_at");--> statement-breakpoint
CREATE INDEX "account_issues_account_idx" ON "account_issues" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "accounts_next_action_idx" ON "accounts" USING btree ("next_action_at") WHERE next_action_at is not null;