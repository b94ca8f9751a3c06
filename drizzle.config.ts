/** drizzle-kit configuration: generates `migrations/` from the libSQL schema. */
export default {
  dialect: "sqlite",
  schema: "./src/storage/sqlite/schema.ts",
  out: "./migrations",
};
