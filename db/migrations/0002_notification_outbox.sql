CREATE TYPE "public"."notification_channel" AS ENUM('sms', 'email', 'portal');--> statement-breakpoint
CREATE TYPE "public"."notification_status" AS ENUM('sent', 'failed');--> statement-breakpoint
CREATE TABLE "notifications" (
	"key" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"channel" "notification_channel" NOT NULL,
	"recipient" text NOT NULL,
	"template" text NOT NULL,
	"subject_vi" text NOT NULL,
	"subject" text NOT NULL,
	"body_vi" text NOT NULL,
	"body" text NOT NULL,
	"data" jsonb,
	"status" "notification_status" NOT NULL,
	"provider_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "notifications_workflow_idx" ON "notifications" USING btree ("workflow_id");