CREATE TABLE `key_usage` (
	`key_id` text NOT NULL,
	`version` integer NOT NULL,
	`operations` integer NOT NULL,
	PRIMARY KEY(`key_id`, `version`)
);
--> statement-breakpoint
ALTER TABLE `keys` ADD `origin` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `rotation_period` text;--> statement-breakpoint
ALTER TABLE `keys` ADD `min_decryption_version` integer;