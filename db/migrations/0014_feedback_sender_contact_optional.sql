ALTER TABLE "feedback_items" ALTER COLUMN "sender_phone" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "feedback_items" ALTER COLUMN "sender_email" DROP NOT NULL;