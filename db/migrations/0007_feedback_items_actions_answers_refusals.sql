CREATE TABLE "feedback_actions" (
	"workflow_id" text NOT NULL,
	"seq" integer NOT NULL,
	"action" text NOT NULL,
	"actor_user_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_agency" text,
	"at" timestamp with time zone NOT NULL,
	"note" text,
	"data" jsonb,
	CONSTRAINT "feedback_actions_workflow_id_seq_pk" PRIMARY KEY("workflow_id","seq")
);
--> statement-breakpoint
CREATE TABLE "feedback_answers" (
	"item_id" text PRIMARY KEY NOT NULL,
	"agency" text NOT NULL,
	"category" text NOT NULL,
	"tthc_code" text,
	"question" text NOT NULL,
	"answer" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"published_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback_items" (
	"item_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"receiving_agency" text NOT NULL,
	"agency" text NOT NULL,
	"involved_agencies" text[] NOT NULL,
	"status" text NOT NULL,
	"category" text NOT NULL,
	"channel" text NOT NULL,
	"tthc_code" text,
	"sender_name" text NOT NULL,
	"sender_address" text NOT NULL,
	"sender_phone" text NOT NULL,
	"sender_email" text NOT NULL,
	"portal_account_id" text,
	"content" text NOT NULL,
	"round" integer NOT NULL,
	"escalated_from" text,
	"received_at" timestamp with time zone NOT NULL,
	"round_started_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone,
	"closed_reason" text,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback_refusals" (
	"intake_key" text PRIMARY KEY NOT NULL,
	"article" text NOT NULL,
	"reason" text NOT NULL,
	"target_agency" text NOT NULL,
	"channel" text NOT NULL,
	"submitted_by_role" text NOT NULL,
	"submitted_by_user" text NOT NULL,
	"refused_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "feedback_answers_published_idx" ON "feedback_answers" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "feedback_answers_agency_idx" ON "feedback_answers" USING btree ("agency","published_at");--> statement-breakpoint
CREATE INDEX "feedback_items_agency_status_idx" ON "feedback_items" USING btree ("agency","status");--> statement-breakpoint
CREATE INDEX "feedback_items_involved_idx" ON "feedback_items" USING gin ("involved_agencies");--> statement-breakpoint
CREATE INDEX "feedback_items_received_idx" ON "feedback_items" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "feedback_items_escalated_from_idx" ON "feedback_items" USING btree ("escalated_from") WHERE escalated_from is not null;