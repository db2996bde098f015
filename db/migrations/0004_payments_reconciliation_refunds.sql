CREATE TYPE "public"."bank_kind" AS ENUM('bank', 'intermediary', 'treasury');--> statement-breakpoint
CREATE TYPE "public"."bank_status" AS ENUM('active', 'suspended', 'stopped');--> statement-breakpoint
CREATE TYPE "public"."beneficiary_kind" AS ENUM('bank', 'treasury');--> statement-breakpoint
CREATE TYPE "public"."payment_status" AS ENUM('awaitingPayer', 'awaitingDebit', 'debited', 'settled', 'failed', 'expired', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."discrepancy_owner_kind" AS ENUM('bank', 'agency');--> statement-breakpoint
CREATE TYPE "public"."discrepancy_status" AS ENUM('open', 'resolved');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_line_status" AS ENUM('success', 'failed');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_day_status" AS ENUM('running', 'reconciled');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_outcome" AS ENUM('matched', 'missingAtPortal', 'missingAtBank', 'missingAtAgency', 'amountMismatch', 'statusMismatch', 'duplicate');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_source" AS ENUM('bank', 'agency');--> statement-breakpoint
CREATE TYPE "public"."refund_origin" AS ENUM('reconciliation', 'payerRequest');--> statement-breakpoint
CREATE TYPE "public"."refund_status" AS ENUM('investigating', 'awaitingRefund', 'refunded', 'rejected', 'alreadyRefunded');--> statement-breakpoint
CREATE TABLE "bank_status_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "bank_status_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"bank" text NOT NULL,
	"status" "bank_status" NOT NULL,
	"reason" text NOT NULL,
	"changed_by" text NOT NULL,
	"changed_by_role" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "banks" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_vi" text NOT NULL,
	"kind" "bank_kind" NOT NULL,
	"status" "bank_status" DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"status_changed_by" text,
	"status_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_callbacks" (
	"bank" text NOT NULL,
	"callback_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"kind" text NOT NULL,
	"result" jsonb NOT NULL,
	"processed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_callbacks_bank_callback_id_pk" PRIMARY KEY("bank","callback_id")
);
--> statement-breakpoint
CREATE TABLE "payment_receipts" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"bank" text NOT NULL,
	"receipt_no" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"document" text NOT NULL,
	"signer" text NOT NULL,
	"signature_algorithm" text NOT NULL,
	"signature_value" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"agency" text NOT NULL,
	"request_ref" text NOT NULL,
	"dossier_code" text NOT NULL,
	"fee_type_code" text NOT NULL,
	"amount" bigint NOT NULL,
	"beneficiary_kind" "beneficiary_kind" NOT NULL,
	"beneficiary_institution" text NOT NULL,
	"beneficiary_account" text NOT NULL,
	"beneficiary_name" text NOT NULL,
	"payer_bank" text,
	"bank_txn_ref" text,
	"status" "payment_status" NOT NULL,
	"txn_date" date,
	"debited_at" timestamp with time zone,
	"settled_at" timestamp with time zone,
	"settlement_ref" text,
	"settlement_due_at" timestamp with time zone,
	"settlement_breached" boolean DEFAULT false NOT NULL,
	"settlement_working_days_late" integer,
	"settlement_calendar_days_late" integer,
	"end_reason" text,
	"revision" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "discrepancies" (
	"id" text PRIMARY KEY NOT NULL,
	"txn_date" date NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"payment_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"owner_kind" "discrepancy_owner_kind" NOT NULL,
	"owner" text NOT NULL,
	"status" "discrepancy_status" NOT NULL,
	"cause" text,
	"resolution" text,
	"due_at" timestamp with time zone,
	"breached" boolean DEFAULT false NOT NULL,
	"refund_id" text,
	"revision" integer NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_days" (
	"txn_date" date PRIMARY KEY NOT NULL,
	"status" "reconciliation_day_status" NOT NULL,
	"workflow_id" text NOT NULL,
	"transactions" integer DEFAULT 0 NOT NULL,
	"discrepancies" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reconciled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "reconciliation_lines" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reconciliation_lines_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source" "reconciliation_source" NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"txn_date" date NOT NULL,
	"payment_id" text NOT NULL,
	"bank_txn_ref" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" "reconciliation_line_status" NOT NULL,
	"fee_type_code" text
);
--> statement-breakpoint
CREATE TABLE "reconciliation_results" (
	"txn_date" date NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"payment_id" text NOT NULL,
	"seq" integer NOT NULL,
	"outcome" "reconciliation_outcome" NOT NULL,
	"owner_kind" "discrepancy_owner_kind",
	"portal_amount" bigint,
	"bank_amount" bigint,
	"agency_amount" bigint,
	"portal_status" text,
	"bank_status" text,
	"agency_status" text,
	"bank_txn_ref" text,
	"fee_type_code" text,
	CONSTRAINT "reconciliation_results_txn_date_agency_bank_payment_id_seq_pk" PRIMARY KEY("txn_date","agency","bank","payment_id","seq")
);
--> statement-breakpoint
CREATE TABLE "reconciliation_uploads" (
	"source" "reconciliation_source" NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"txn_date" date NOT NULL,
	"line_count" integer NOT NULL,
	"format" text NOT NULL,
	"uploaded_by" text NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconciliation_uploads_source_agency_bank_txn_date_pk" PRIMARY KEY("source","agency","bank","txn_date")
);
--> statement-breakpoint
CREATE TABLE "refund_payouts" (
	"refund_id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"bank_txn_ref" text NOT NULL,
	"amount" bigint NOT NULL,
	"paid_by_kind" "discrepancy_owner_kind" NOT NULL,
	"paid_by" text NOT NULL,
	"payout_ref" text NOT NULL,
	"paid_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"origin" "refund_origin" NOT NULL,
	"payment_id" text NOT NULL,
	"agency" text NOT NULL,
	"bank" text NOT NULL,
	"bank_txn_ref" text NOT NULL,
	"amount" bigint NOT NULL,
	"reason" text NOT NULL,
	"status" "refund_status" NOT NULL,
	"responsible_kind" "discrepancy_owner_kind" NOT NULL,
	"finding" text,
	"discrepancy_id" text,
	"revision" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bank_status_changes" ADD CONSTRAINT "bank_status_changes_bank_banks_code_fk" FOREIGN KEY ("bank") REFERENCES "public"."banks"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bank_status_changes_bank_idx" ON "bank_status_changes" USING btree ("bank","changed_at");--> statement-breakpoint
CREATE INDEX "payment_callbacks_payment_idx" ON "payment_callbacks" USING btree ("payment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_agency_request_ref_uq" ON "payments" USING btree ("agency","request_ref");--> statement-breakpoint
CREATE INDEX "payments_txn_date_idx" ON "payments" USING btree ("txn_date");--> statement-breakpoint
CREATE INDEX "payments_payer_bank_idx" ON "payments" USING btree ("payer_bank","created_at");--> statement-breakpoint
CREATE INDEX "payments_agency_idx" ON "payments" USING btree ("agency","created_at");--> statement-breakpoint
CREATE INDEX "payments_dossier_idx" ON "payments" USING btree ("dossier_code");--> statement-breakpoint
CREATE INDEX "discrepancies_day_idx" ON "discrepancies" USING btree ("txn_date","agency","bank");--> statement-breakpoint
CREATE INDEX "discrepancies_owner_idx" ON "discrepancies" USING btree ("owner","status");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_lines_key_uq" ON "reconciliation_lines" USING btree ("source","agency","bank","txn_date","payment_id","bank_txn_ref");--> statement-breakpoint
CREATE INDEX "reconciliation_lines_day_idx" ON "reconciliation_lines" USING btree ("txn_date","source");--> statement-breakpoint
CREATE INDEX "reconciliation_results_outcome_idx" ON "reconciliation_results" USING btree ("txn_date","outcome");--> statement-breakpoint
CREATE UNIQUE INDEX "refund_payouts_debit_uq" ON "refund_payouts" USING btree ("payment_id","bank_txn_ref");--> statement-breakpoint
CREATE INDEX "refunds_payment_idx" ON "refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "refunds_bank_idx" ON "refunds" USING btree ("bank","status");--> statement-breakpoint
CREATE INDEX "refunds_agency_idx" ON "refunds" USING btree ("agency","status");