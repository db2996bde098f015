CREATE TABLE "agency_units" (
	"agency" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "agency_units_agency_code_pk" PRIMARY KEY("agency","code")
);
--> statement-breakpoint
CREATE TABLE "officers" (
	"agency" text NOT NULL,
	"officer" text NOT NULL,
	"name" text NOT NULL,
	"unit" text,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"registered_by" text NOT NULL,
	CONSTRAINT "officers_agency_officer_pk" PRIMARY KEY("agency","officer")
);
--> statement-breakpoint
CREATE TABLE "permission_grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agency" text NOT NULL,
	"officer" text NOT NULL,
	"permission" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_to" timestamp with time zone,
	"granted_by" text NOT NULL,
	"reason" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "permission_revocations" (
	"grant_id" uuid PRIMARY KEY NOT NULL,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_by" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agency_units" ADD CONSTRAINT "agency_units_agency_agencies_code_fk" FOREIGN KEY ("agency") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "officers" ADD CONSTRAINT "officers_agency_agencies_code_fk" FOREIGN KEY ("agency") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "officers" ADD CONSTRAINT "officers_agency_unit_agency_units_agency_code_fk" FOREIGN KEY ("agency","unit") REFERENCES "public"."agency_units"("agency","code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permission_grants" ADD CONSTRAINT "permission_grants_agency_officer_officers_agency_officer_fk" FOREIGN KEY ("agency","officer") REFERENCES "public"."officers"("agency","officer") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permission_revocations" ADD CONSTRAINT "permission_revocations_grant_id_permission_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."permission_grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "permission_grants_officer_idx" ON "permission_grants" USING btree ("agency","officer");--> statement-breakpoint
CREATE INDEX "permission_grants_permission_idx" ON "permission_grants" USING btree ("permission","agency","valid_from");--> statement-breakpoint
-- Grants and revocations are the permission history (Art 41.2, 48): append-only, never rewritten.
CREATE FUNCTION "permission_history_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the permission history is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "permission_grants_append_only" BEFORE UPDATE OR DELETE ON "permission_grants" FOR EACH ROW EXECUTE FUNCTION "permission_history_append_only"();--> statement-breakpoint
CREATE TRIGGER "permission_revocations_append_only" BEFORE UPDATE OR DELETE ON "permission_revocations" FOR EACH ROW EXECUTE FUNCTION "permission_history_append_only"();
