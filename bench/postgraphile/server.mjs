// PostGraphile 5 for bench/nearest.py: the `pgbench` schema of the benchmark database (its function
// `nearest_stations`, made by nearest_stations.sql) served at POST /graphql, on loopback only.
//
// Started by bench/nearest.py with Node 22 from node_modules (install.sh), pinned to core 0 like the other
// servers: `node server.mjs` with DATABASE_URL and PORT in the environment. GET /readyz answers 200 once
// the schema is built and the database answers.
//
// Production settings, as one would deploy it: NODE_ENV=production (set by bench/nearest.py), no GraphiQL,
// no plan explanations, no schema watching, no websockets, no LISTEN connection; a pool of 20 connections,
// as many as Markaz's engine and the floor may open, kept open.

import { createServer } from "node:http";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (!connectionString || !Number.isInteger(port) || port <= 0) {
  console.error("server.mjs needs DATABASE_URL and PORT in the environment");
  process.exit(2);
}

const pgService = makePgService({
  connectionString,
  schemas: ["pgbench"],
  pubsub: false,
  // Idle connections kept, as Markaz's and the floor's pools keep theirs: node-postgres closes them after
  // 10 s by default, which the benchmark's turns (the other servers' rounds) would exceed every time.
  poolConfig: { max: 20, idleTimeoutMillis: 0, application_name: "markaz-bench-postgraphile" },
});

// The schema has one field, and it takes the citizens' document as it is: the function's list is named
// `nearestStations` (not `nearestStationsList`); a station's `id` keeps its name (PostGraphile renames an
// `id` to `rowId`, for Relay's node ids, which no type here has); and the field's `first` is the
// function's own argument, so PostGraphile's `first`/`offset` on lists (which would take rows off the
// function's answer, after the function has walked for them) are left out.
const SameNamesPlugin = {
  name: "MarkazBenchSameNamesPlugin",
  version: "0.0.0",
  inflection: {
    replace: {
      listField: (previous, options, baseName) => baseName,
      attribute: (previous, options, details) => (details.attributeName === "id" ? "id" : previous(details)),
    },
  },
};

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [SameNamesPlugin],
  disablePlugins: ["PgFirstLastBeforeAfterArgsPlugin"],
  pgServices: [pgService],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();

async function ready(res) {
  try {
    await pgl.getSchema();
    const { rows } = await pgService.adaptorSettings.pool.query("SELECT 1 AS one");
    res.writeHead(rows[0].one === 1 ? 200 : 503, { "Content-Type": "application/json" });
    res.end('{"status":"ready"}');
  } catch (error) {
    res.writeHead(503, { "Content-Type": "text/plain" });
    res.end(String(error));
  }
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/readyz") {
    ready(res);
  } else {
    handler(req, res);
  }
});
server.keepAliveTimeout = 5000; // as uvicorn's: the load generator reuses a connection for at most 2 s

async function stop() {
  server.close();
  await pgl.release();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(port, "127.0.0.1");
