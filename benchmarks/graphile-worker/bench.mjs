// graphile-worker side by side with Afterward's PostgreSQL store (benchmarks/durable-postgres.sh): the same trivial
// job, enqueued before the worker starts, then run by one worker process with graphile-worker's local queue (500) and
// batched completion. tasks/s = jobs / (first job started → the jobs table empty, polled every 20 ms).
//   node bench.mjs <connection string> <jobs> [concurrency=16]
import { run, runMigrations } from "graphile-worker";
import pg from "pg";

const [connectionString, jobsArg, concurrencyArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const concurrency = Number(concurrencyArg ?? 16);
const schema = "graphile_" + Math.random().toString(36).slice(2, 10);
const preset = {
  worker: {
    connectionString,
    schema,
    concurrentJobs: concurrency,
    maxPoolSize: concurrency + 4,
    pollInterval: 1000,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};
const quiet = { scope: () => quiet, debug() {}, info() {}, warn: console.warn, error: console.error };

await runMigrations({ connectionString, schema, logger: quiet });
const client = new pg.Client({ connectionString });
await client.connect();
await client.query(`SELECT ${schema}.add_job('noop', json_build_object('i', i)) FROM generate_series(1, $1) AS i`, [jobs]);

let first = 0;
let done = 0;
const runner = await run({
  preset,
  logger: quiet,
  taskList: {
    noop: async () => {
      if (first === 0) first = performance.now();
      done++;
    },
  },
});

for (;;) {
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`);
  if (rows[0].n === 0 && done >= jobs) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const seconds = (performance.now() - first) / 1000;
await runner.stop();
await client.query(`DROP SCHEMA ${schema} CASCADE`);
await client.end();
console.log(`graphile-worker 0.18 postgres: ${jobs} jobs, one worker process (concurrency ${concurrency}, local queue 500, batched completion): ${(jobs / seconds).toFixed(0)} jobs/s`);
