-- The chain head row exists from the start, so every batch can lock it (an empty mac means
-- "no anchor yet": the first node to open the log writes the genesis anchor into it).
ALTER TABLE "audit_head" ADD CONSTRAINT "audit_head_single_row" CHECK ("id" = 1);--> statement-breakpoint
INSERT INTO "audit_head" ("id", "seq", "hash", "mac") VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '');
