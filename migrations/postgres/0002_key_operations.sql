CREATE TABLE "key_usage" (
	"key_id" text COLLATE "C" NOT NULL,
	"version" integer NOT NULL,
	"operations" bigint NOT NULL,
	CONSTRAINT "key_usage_key_id_version_pk" PRIMARY KEY("key_id","version")
);
--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "origin" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "rotation_period" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "min_decryption_version" integer;