/** drizzle-kit configuration: generates `migrations/postgres/` from the PostgreSQL schema. */
export default {
  dialect: "postgresql",
  schema: "./src/storage/postgres/schema.ts",
  out: "./migrations/postgres",
};
