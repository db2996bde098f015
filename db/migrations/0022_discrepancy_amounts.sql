ALTER TABLE "discrepancies" ADD COLUMN "portal_amount" bigint;--> statement-breakpoint
ALTER TABLE "discrepancies" ADD COLUMN "bank_amount" bigint;--> statement-breakpoint
ALTER TABLE "discrepancies" ADD COLUMN "agency_amount" bigint;