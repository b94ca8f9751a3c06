CREATE TABLE "audit_archive_base" (
	"id" smallint PRIMARY KEY NOT NULL,
	"body" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_archive_segments" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"first_seq" bigint NOT NULL,
	"last_seq" bigint NOT NULL,
	"entries" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"id" text COLLATE "C" NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"script" text NOT NULL,
	"digest" text NOT NULL,
	"scope" text NOT NULL,
	"deleted" boolean NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text NOT NULL,
	"author" text NOT NULL,
	"approval_id" text,
	"mac" text NOT NULL,
	CONSTRAINT "policy_versions_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE TABLE "retention_ledger" (
	"position" bigint PRIMARY KEY NOT NULL,
	"line" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"sealed" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "key_versions" ADD COLUMN "purged_at" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "retention_class" text;--> statement-breakpoint
CREATE INDEX "policy_versions_created_idx" ON "policy_versions" USING btree ("created_at","id");