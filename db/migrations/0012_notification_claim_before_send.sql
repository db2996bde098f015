ALTER TYPE "public"."notification_status" ADD VALUE 'sending';--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;