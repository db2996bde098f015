DROP INDEX "tthc_decisions_agency_idx";--> statement-breakpoint
DROP INDEX "feedback_answers_published_idx";--> statement-breakpoint
DROP INDEX "feedback_answers_agency_idx";--> statement-breakpoint
DROP INDEX "account_issues_status_idx";--> statement-breakpoint
DROP INDEX "account_issues_account_idx";--> statement-breakpoint
DROP INDEX "account_issues_received_idx";--> statement-breakpoint
DROP INDEX "connection_outages_agency_idx";--> statement-breakpoint
DROP INDEX "connection_outages_system_idx";--> statement-breakpoint
DROP INDEX "connection_outages_started_idx";--> statement-breakpoint
DROP INDEX "maintenance_windows_starts_idx";--> statement-breakpoint
DROP INDEX "support_requests_received_idx";--> statement-breakpoint
DROP INDEX "evaluation_runs_started_idx";--> statement-breakpoint
CREATE INDEX "sla_clocks_process_breach_list_idx" ON "sla_clocks" USING btree ("process","breached_at","workflow_id","clock_key") WHERE outcome = 'breached';--> statement-breakpoint
CREATE INDEX "support_requests_agency_received_idx" ON "support_requests" USING btree ("agency","received_at","request_id");--> statement-breakpoint
CREATE INDEX "tthc_decisions_agency_idx" ON "tthc_decisions" USING btree ("agency","signed_on","id");--> statement-breakpoint
CREATE INDEX "feedback_answers_published_idx" ON "feedback_answers" USING btree ("published_at","item_id");--> statement-breakpoint
CREATE INDEX "feedback_answers_agency_idx" ON "feedback_answers" USING btree ("agency","published_at","item_id");--> statement-breakpoint
CREATE INDEX "account_issues_status_idx" ON "account_issues" USING btree ("status","received_at","case_id");--> statement-breakpoint
CREATE INDEX "account_issues_account_idx" ON "account_issues" USING btree ("account_id","received_at","case_id");--> statement-breakpoint
CREATE INDEX "account_issues_received_idx" ON "account_issues" USING btree ("received_at","case_id");--> statement-breakpoint
CREATE INDEX "connection_outages_agency_idx" ON "connection_outages" USING btree ("agency_code","started_at","outage_id");--> statement-breakpoint
CREATE INDEX "connection_outages_system_idx" ON "connection_outages" USING btree ("system_id","started_at","outage_id");--> statement-breakpoint
CREATE INDEX "connection_outages_started_idx" ON "connection_outages" USING btree ("started_at","outage_id");--> statement-breakpoint
CREATE INDEX "maintenance_windows_starts_idx" ON "maintenance_windows" USING btree ("starts_at","window_id");--> statement-breakpoint
CREATE INDEX "support_requests_received_idx" ON "support_requests" USING btree ("received_at","request_id");--> statement-breakpoint
CREATE INDEX "evaluation_runs_started_idx" ON "evaluation_runs" USING btree ("started_at","id");