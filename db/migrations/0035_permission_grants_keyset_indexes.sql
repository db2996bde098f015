DROP INDEX "permission_grants_officer_idx";--> statement-breakpoint
CREATE INDEX "permission_grants_agency_granted_idx" ON "permission_grants" USING btree ("agency","granted_at","id");--> statement-breakpoint
CREATE INDEX "permission_grants_granted_idx" ON "permission_grants" USING btree ("granted_at","id");--> statement-breakpoint
CREATE INDEX "permission_grants_officer_idx" ON "permission_grants" USING btree ("agency","officer","granted_at","id");