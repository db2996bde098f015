CREATE TABLE "connected_systems" (
	"system_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"agency" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"health_url" text NOT NULL,
	"admins" jsonb NOT NULL,
	"failure_threshold" integer NOT NULL,
	"interval_seconds" integer NOT NULL,
	"timeout_ms" integer NOT NULL,
	"status" text NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_probe_at" timestamp with time zone,
	"last_ok_at" timestamp with time zone,
	"last_error" text,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connection_outages" (
	"outage_id" text PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"agency_code" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"detected_at" timestamp with time zone NOT NULL,
	"failures" integer NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "maintenance_windows" (
	"window_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"announced_at" timestamp with time zone NOT NULL,
	"announced_by" text NOT NULL,
	"notice_due_at" timestamp with time zone,
	"emergency" boolean DEFAULT false NOT NULL,
	"emergency_reason" text,
	"status" text NOT NULL,
	"refused_reason" text,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operations_actions" (
	"workflow_id" text NOT NULL,
	"seq" integer NOT NULL,
	"action" text NOT NULL,
	"actor_user_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_agency" text,
	"at" timestamp with time zone NOT NULL,
	"note" text,
	"data" jsonb,
	CONSTRAINT "operations_actions_workflow_id_seq_pk" PRIMARY KEY("workflow_id","seq")
);
--> statement-breakpoint
CREATE TABLE "security_server_changes" (
	"change_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"agency" text NOT NULL,
	"server_id" text NOT NULL,
	"address" text NOT NULL,
	"certificate_fingerprint" text NOT NULL,
	"contact" jsonb NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"registered_at" timestamp with time zone NOT NULL,
	"notice_due_at" timestamp with time zone,
	"emergency" boolean DEFAULT false NOT NULL,
	"emergency_reason" text,
	"decided_by" text,
	"status" text NOT NULL,
	"refused_reason" text,
	"applied_at" timestamp with time zone,
	"superseded_at" timestamp with time zone,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_requests" (
	"request_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"agency" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"status" text NOT NULL,
	"round" integer NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone,
	"announced_completion_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "connected_systems_agency_idx" ON "connected_systems" USING btree ("agency");--> statement-breakpoint
CREATE INDEX "connection_outages_agency_idx" ON "connection_outages" USING btree ("agency_code","started_at");--> statement-breakpoint
CREATE INDEX "connection_outages_system_idx" ON "connection_outages" USING btree ("system_id","started_at");--> statement-breakpoint
CREATE INDEX "maintenance_windows_active_idx" ON "maintenance_windows" USING btree ("status","starts_at","ends_at");--> statement-breakpoint
CREATE INDEX "security_server_changes_server_idx" ON "security_server_changes" USING btree ("agency","server_id","effective_at");--> statement-breakpoint
CREATE UNIQUE INDEX "security_server_changes_one_current_idx" ON "security_server_changes" USING btree ("agency","server_id") WHERE status = 'current';--> statement-breakpoint
CREATE INDEX "support_requests_agency_status_idx" ON "support_requests" USING btree ("agency","status");--> statement-breakpoint
CREATE INDEX "support_requests_received_idx" ON "support_requests" USING btree ("received_at");