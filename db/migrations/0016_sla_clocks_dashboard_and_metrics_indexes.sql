DROP INDEX "sla_clocks_due_rates_idx";--> statement-breakpoint
DROP INDEX "sla_clocks_open_idx";--> statement-breakpoint
CREATE INDEX "sla_clocks_rates_idx" ON "sla_clocks" USING btree ("due_at","owner","owner_kind","outcome") WHERE outcome in ('met', 'breached') and kind = 'regulated';--> statement-breakpoint
CREATE INDEX "sla_clocks_counted_breaches_idx" ON "sla_clocks" USING btree ("breached_at","process","owner","case_agency","completed_at") WHERE outcome = 'breached' and kind = 'regulated';--> statement-breakpoint
CREATE INDEX "sla_clocks_open_idx" ON "sla_clocks" USING btree ("outcome","due_at","owner","case_agency","process","kind") WHERE completed_at is null and outcome <> 'cancelled';