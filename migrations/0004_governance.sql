CREATE TABLE `policy_versions` (
	`id` text NOT NULL,
	`version` integer NOT NULL,
	`name` text NOT NULL,
	`script` text NOT NULL,
	`digest` text NOT NULL,
	`scope` text NOT NULL,
	`deleted` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`author` text NOT NULL,
	`approval_id` text,
	`mac` text NOT NULL,
	PRIMARY KEY(`id`, `version`)
);
--> statement-breakpoint
CREATE INDEX `policy_versions_created_idx` ON `policy_versions` (`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `key_versions` ADD `purged_at` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `retention_class` text;