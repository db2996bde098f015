ALTER TABLE "banks" ADD COLUMN "receipt_certificate" text;--> statement-breakpoint
ALTER TABLE "banks" ADD COLUMN "receipt_cert_fingerprint" text;--> statement-breakpoint
ALTER TABLE "payment_receipts" ADD COLUMN "cert_fingerprint" text;--> statement-breakpoint
ALTER TABLE "payment_receipts" ADD COLUMN "document_sha256" text;--> statement-breakpoint
ALTER TABLE "payment_receipts" ADD COLUMN "verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "debit_reported_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "debit_reported_late" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "receipt_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "receipt_exception" text;--> statement-breakpoint
CREATE INDEX "payments_debit_reported_late_idx" ON "payments" USING btree ("debit_reported_at") WHERE "payments"."debit_reported_late";