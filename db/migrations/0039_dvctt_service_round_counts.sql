ALTER TABLE "dvctt_services" ADD COLUMN "round_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dvctt_services" ADD COLUMN "rounds_rejected" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dvctt_services" ADD COLUMN "rounds_failed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dvctt_services" ADD COLUMN "rounds_passed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "dvctt_services_rounds_idx" ON "dvctt_services" USING btree ("round_count" DESC NULLS LAST,"code") WHERE round_count > 0;--> statement-breakpoint
CREATE INDEX "dvctt_services_agency_rounds_idx" ON "dvctt_services" USING btree ("agency","round_count" DESC NULLS LAST,"code") WHERE round_count > 0;