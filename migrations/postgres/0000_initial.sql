CREATE TABLE "approval_votes" (
	"approval_id" text COLLATE "C" NOT NULL,
	"actor" text NOT NULL,
	"at" text NOT NULL,
	CONSTRAINT "approval_votes_approval_id_actor_pk" PRIMARY KEY("approval_id","actor")
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"key_id" text,
	"requested_by" text NOT NULL,
	"approvals" text NOT NULL,
	"quorum" integer NOT NULL,
	"state" text NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"expires_at" text COLLATE "C" NOT NULL,
	"params" text NOT NULL,
	"revision" integer NOT NULL,
	"mac" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"ts" text NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"key_id" text,
	"result" text NOT NULL,
	"payload_hash" text NOT NULL,
	"prev_hash" text NOT NULL,
	"mac" text NOT NULL,
	"records" text,
	"node_id" text
);
--> statement-breakpoint
CREATE TABLE "audit_head" (
	"id" smallint PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"mac" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_nodes" (
	"node_id" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"start_seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "key_tags" (
	"key_id" text COLLATE "C" NOT NULL,
	"tag_key" text NOT NULL,
	"tag_value" text NOT NULL,
	CONSTRAINT "key_tags_key_id_tag_key_pk" PRIMARY KEY("key_id","tag_key")
);
--> statement-breakpoint
CREATE TABLE "key_versions" (
	"key_id" text COLLATE "C" NOT NULL,
	"version" integer NOT NULL,
	"algorithm" text NOT NULL,
	"usage" text NOT NULL,
	"created_at" text NOT NULL,
	"source_version" integer,
	"nonce" "bytea" NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	"mac" "bytea" NOT NULL,
	CONSTRAINT "key_versions_key_id_version_pk" PRIMARY KEY("key_id","version")
);
--> statement-breakpoint
CREATE TABLE "keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"algorithm" text NOT NULL,
	"usage" text NOT NULL,
	"tags" text NOT NULL,
	"state" text NOT NULL,
	"current_version" integer NOT NULL,
	"dual_control" boolean NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text NOT NULL,
	"revision" integer NOT NULL,
	"mac" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approval_votes" ADD CONSTRAINT "approval_votes_approval_id_approvals_id_fk" FOREIGN KEY ("approval_id") REFERENCES "public"."approvals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_tags" ADD CONSTRAINT "key_tags_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_versions" ADD CONSTRAINT "key_versions_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approvals_state_idx" ON "approvals" USING btree ("state","created_at");--> statement-breakpoint
CREATE INDEX "approvals_key_idx" ON "approvals" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entries_prev_hash_idx" ON "audit_entries" USING btree ("prev_hash");--> statement-breakpoint
CREATE INDEX "audit_entries_node_idx" ON "audit_entries" USING btree ("node_id","seq") WHERE "audit_entries"."records" is not null;--> statement-breakpoint
CREATE INDEX "key_tags_lookup_idx" ON "key_tags" USING btree ("tag_key","tag_value");--> statement-breakpoint
CREATE INDEX "keys_created_idx" ON "keys" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "keys_algorithm_idx" ON "keys" USING btree ("algorithm","created_at");--> statement-breakpoint
CREATE INDEX "keys_state_idx" ON "keys" USING btree ("state","created_at");