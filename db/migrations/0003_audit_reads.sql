CREATE TYPE "public"."audit_read_action" AS ENUM('timeline', 'history', 'verify', 'replay', 'supervisor', 'view-token');--> statement-breakpoint
CREATE TYPE "public"."audit_read_outcome" AS ENUM('granted', 'denied');--> statement-breakpoint
CREATE TABLE "audit_reads" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_reads_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"agency" text,
	"action" "audit_read_action" NOT NULL,
	"workflow_id" text,
	"outcome" "audit_read_outcome" NOT NULL,
	"request_id" text NOT NULL,
	"sha256" text,
	"detail" text
);
--> statement-breakpoint
CREATE INDEX "audit_reads_workflow_idx" ON "audit_reads" USING btree ("workflow_id","at");--> statement-breakpoint
CREATE INDEX "audit_reads_user_idx" ON "audit_reads" USING btree ("user_id","at");--> statement-breakpoint
CREATE INDEX "audit_reads_sha256_idx" ON "audit_reads" USING btree ("sha256");