ALTER TABLE `approvals` ADD `mac` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `approvals_key_idx` ON `approvals` (`key_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `audit_entries` ADD `records` text;