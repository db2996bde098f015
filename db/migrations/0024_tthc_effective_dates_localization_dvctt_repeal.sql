ALTER TABLE "dvctt_services" ADD COLUMN "tthc_repeal" jsonb;--> statement-breakpoint
ALTER TABLE "tthc_decisions" ADD COLUMN "signer" text;--> statement-breakpoint
ALTER TABLE "tthc_versions" ADD COLUMN "localization" jsonb;--> statement-breakpoint
ALTER TABLE "tthc_versions" ADD COLUMN "effective_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tthc_versions" ADD COLUMN "effective_to" timestamp with time zone;--> statement-breakpoint
-- Versions published before effective dates were recorded keep the interval they were answered by: their publication.
UPDATE "tthc_versions" SET "effective_from" = "valid_from", "effective_to" = "valid_to";--> statement-breakpoint
ALTER TABLE "tthc_versions" ALTER COLUMN "effective_from" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "tthc_versions_effective_idx" ON "tthc_versions" USING btree ("code","effective_from","effective_to");