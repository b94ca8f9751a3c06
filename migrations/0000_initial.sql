CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`action` text NOT NULL,
	`key_id` text,
	`requested_by` text NOT NULL,
	`approvals` text NOT NULL,
	`quorum` integer NOT NULL,
	`state` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`params` text NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `approvals_state_idx` ON `approvals` (`state`,`created_at`);--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`seq` integer PRIMARY KEY NOT NULL,
	`ts` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`key_id` text,
	`result` text NOT NULL,
	`payload_hash` text NOT NULL,
	`prev_hash` text NOT NULL,
	`mac` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `key_tags` (
	`key_id` text NOT NULL,
	`tag_key` text NOT NULL,
	`tag_value` text NOT NULL,
	PRIMARY KEY(`key_id`, `tag_key`),
	FOREIGN KEY (`key_id`) REFERENCES `keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `key_tags_lookup_idx` ON `key_tags` (`tag_key`,`tag_value`);--> statement-breakpoint
CREATE TABLE `key_versions` (
	`key_id` text NOT NULL,
	`version` integer NOT NULL,
	`algorithm` text NOT NULL,
	`usage` text NOT NULL,
	`created_at` text NOT NULL,
	`source_version` integer,
	`nonce` blob NOT NULL,
	`ciphertext` blob NOT NULL,
	`mac` blob NOT NULL,
	PRIMARY KEY(`key_id`, `version`),
	FOREIGN KEY (`key_id`) REFERENCES `keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`algorithm` text NOT NULL,
	`usage` text NOT NULL,
	`tags` text NOT NULL,
	`state` text NOT NULL,
	`current_version` integer NOT NULL,
	`dual_control` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`revision` integer NOT NULL,
	`mac` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `keys_created_idx` ON `keys` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `keys_algorithm_idx` ON `keys` (`algorithm`,`created_at`);--> statement-breakpoint
CREATE INDEX `keys_state_idx` ON `keys` (`state`,`created_at`);