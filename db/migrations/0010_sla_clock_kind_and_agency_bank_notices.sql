CREATE TYPE "public"."sla_clock_kind" AS ENUM('regulated', 'projectRule', 'citizenWait');--> statement-breakpoint
CREATE TYPE "public"."notification_recipient_kind" AS ENUM('agency', 'bank', 'citizen');--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "workflow_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sla_clocks" ADD COLUMN "kind" "sla_clock_kind" DEFAULT 'regulated' NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "recipient_kind" "notification_recipient_kind" DEFAULT 'citizen' NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "read_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "read_by" text;--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications" USING btree ("recipient_kind","recipient","created_at");--> statement-breakpoint
-- Backfill: clocks projected before the kind existed. A citizen's wait is never counted; a period
-- the project set (article "project rule …", e.g. an abandoned DVCTT loop) is shown, never counted.
UPDATE "sla_clocks" SET "kind" = 'citizenWait' WHERE "owner_kind" = 'citizen';--> statement-breakpoint
UPDATE "sla_clocks" SET "kind" = 'projectRule' WHERE "owner_kind" <> 'citizen' AND "article" LIKE 'project rule%';--> statement-breakpoint
-- Every Portal-channel message so far was addressed to an agency.
UPDATE "notifications" SET "recipient_kind" = 'agency' WHERE "channel" = 'portal';
