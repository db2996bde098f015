DROP INDEX "payments_payer_bank_idx";--> statement-breakpoint
DROP INDEX "payments_agency_idx";--> statement-breakpoint
CREATE INDEX "payments_created_idx" ON "payments" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "payments_payer_bank_idx" ON "payments" USING btree ("payer_bank","created_at","id");--> statement-breakpoint
CREATE INDEX "payments_agency_idx" ON "payments" USING btree ("agency","created_at","id");