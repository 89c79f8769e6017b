// graphile-worker side by side with Afterward's PostgreSQL store (benchmarks/durable-postgres.sh): the same trivial
// job, enqueued all at once (one add_jobs call), run by one worker process with graphile-worker's local queue (500) and
// batched completion. tasks/s = jobs / (first job started → last job ended). Warm: the worker process first runs that
// many jobs of its own in another schema (as a long-running worker would have), then the measured ones in a fresh
// schema, as the Afterward workers do.
//   node bench.mjs <connection string> <jobs> [warm-up jobs=0] [concurrency=16]
import { run, runMigrations } from "graphile-worker";
import pg from "pg";

const [connectionString, jobsArg, warmArg, concurrencyArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const warm = Number(warmArg ?? 0);
const concurrency = Number(concurrencyArg ?? 16);
const quiet = { scope: () => quiet, debug() {}, info() {}, warn: console.warn, error: console.error };

// One schema, one runner: enqueue n jobs at once (add_jobs: one batch, one commit), run them; seconds from the first
// job's start to the last job's end (the Afterward bench likewise counts from its first start to its last success).
// Its jobs are counted in process until all ran, and only then is the table polled until the last completion is stored.
async function phase(n) {
  const schema = "graphile_" + Math.random().toString(36).slice(2, 10);
  await runMigrations({ connectionString, schema, logger: quiet });
  const client = new pg.Client({ connectionString });
  await client.connect();
  let first = 0;
  let last = 0;
  let done = 0;
  const runner = await run({
    preset: {
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
    },
    logger: quiet,
    taskList: {
      noop: async () => {
        if (first === 0) first = performance.now();
        if (++done === n) last = performance.now();
      },
    },
  });
  await client.query(
    `SELECT ${schema}.add_jobs(array(SELECT json_populate_record(null::${schema}.job_spec, json_build_object('identifier', 'noop', 'payload', json_build_object('i', i))) FROM generate_series(1, $1) AS i))`,
    [n],
  );
  // Until every job ran (counted here, costing the server nothing), then until the batched completions are stored.
  while (done < n) await new Promise((resolve) => setTimeout(resolve, 10));
  for (;;) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`);
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (last - first) / 1000;
  await runner.stop();
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
  return seconds;
}

if (warm > 0) await phase(warm);
const seconds = await phase(jobs);
const how = warm > 0 ? `warm (${warm} jobs first)` : "cold (just started)";
console.log(`graphile-worker 0.18 postgres: ${jobs} jobs, one worker process (concurrency ${concurrency}, local queue 500, batched completion), ${how}: ${(jobs / seconds).toFixed(0)} jobs/s`);
