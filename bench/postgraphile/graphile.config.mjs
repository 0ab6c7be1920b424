// PostGraphile 5 as the benchmark's peer (bench/peers.py starts it): the Amber preset,
// the API's own database, no IDE, no explain, no watch. Read from the environment:
// DATABASE_URL (postgres://…), PORT, POOL_SIZE.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // Order by any column, not only indexed ones: the roster orders findings by reported_at,
  // as the API does.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_SIZE ?? 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 9450),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
