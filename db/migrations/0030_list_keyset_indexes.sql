CREATE INDEX "sla_clocks_breach_list_idx" ON "sla_clocks" USING btree ("breached_at","workflow_id","clock_key","owner","case_agency","process","article","completed_at") WHERE outcome = 'breached' and kind = 'regulated';--> statement-breakpoint
CREATE INDEX "sla_clocks_owner_breach_list_idx" ON "sla_clocks" USING btree ("owner","breached_at","workflow_id","clock_key") WHERE outcome = 'breached' and kind = 'regulated';--> statement-breakpoint
CREATE INDEX "sla_clocks_agency_breach_list_idx" ON "sla_clocks" USING btree ("case_agency","breached_at","workflow_id","clock_key") WHERE outcome = 'breached' and kind = 'regulated';--> statement-breakpoint
CREATE INDEX "sla_clocks_due_list_idx" ON "sla_clocks" USING btree ("due_at","workflow_id","clock_key","owner","case_agency","process") WHERE outcome = 'pending' and completed_at is null;--> statement-breakpoint
CREATE INDEX "refunds_created_idx" ON "refunds" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "dvctt_services_changed_idx" ON "dvctt_services" USING btree ("status_changed_at","code");--> statement-breakpoint
CREATE INDEX "tthc_decisions_signed_idx" ON "tthc_decisions" USING btree ("signed_on","id");--> statement-breakpoint
CREATE INDEX "tthc_reviews_opened_idx" ON "tthc_reviews" USING btree ("opened_at","id");