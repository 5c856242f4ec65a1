import { escapeRegExp } from "./regex.js";
import { parseReference, repositoryOf } from "./docker-ref.js";

/**
 * Well-known service images: how to tell that each is ready, from inside its own container, and
 * the settings it refuses to start without. One table, read by `generate` (the probe of a service
 * that names one of these images and no `ready:`) and by `init` (the probe and the start settings
 * it writes). Matched by the image's repository, never by the service's name.
 */
export interface KnownService {
  /** What it is, for init's notes. */
  kind: string;
  /** A SQL database: tests configured for an embedded one (SQLite) do not need it. */
  sql?: boolean;
  /** A cache or queue store: tests configured for in-process drivers (Laravel's array, sync) do not need it. */
  cache?: boolean;
  /** Repositories, as written after `docker.io/` (official images without `library/`). */
  repositories: readonly string[];
  /** A readiness probe run in the service (`sh -c`) with what the image ships. */
  ready: string;
  /** Seconds to wait for it, where 60 is short (search engines start slowly). */
  timeout?: number;
  /** Settings without which the image does not start (or not without security setup) in CI. */
  start: readonly StartSetting[];
  /** The image's own variables: the ones it takes from a compose `env_file` shared with the app. */
  reads: RegExp;
}

/** A setting the image needs: set when none of `anyOf` is. */
export interface StartSetting {
  anyOf: readonly string[];
  set: Readonly<Record<string, string>>;
  /** A password choice, which the tests' connection settings may have to match. */
  credential?: boolean;
}

/**
 * Waits for a TCP port to be listened on, from the kernel's socket table: for images that ship no
 * client (memcached, kafka, mssql). A listening socket of any address: `:PORT ` then the
 * remote address all zeros and state 0A (LISTEN).
 */
export const listening = (port: number): string => `grep -q ':${port.toString(16).toUpperCase().padStart(4, "0")} [0:]* 0A' /proc/net/tcp /proc/net/tcp6`;

const postgresStart: StartSetting[] = [
  // trust lets the tests connect with whatever password their settings carry.
  { anyOf: ["POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRES_HOST_AUTH_METHOD"], set: { POSTGRES_HOST_AUTH_METHOD: "trust" } },
];
const mysqlRoot = ["MYSQL_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD_FILE", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD"];
const mariadbRoot = [
  ...mysqlRoot,
  "MARIADB_ROOT_PASSWORD",
  "MARIADB_ROOT_PASSWORD_FILE",
  "MARIADB_ROOT_PASSWORD_HASH",
  "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
  "MARIADB_RANDOM_ROOT_PASSWORD",
];
const mysqlAdmin = "mysqladmin ping -h 127.0.0.1 --silent";
const search = (heap: string, security: Record<string, string>): StartSetting[] => [
  {
    anyOf: ["discovery.type", "discovery.seed_hosts", "cluster.initial_master_nodes", "cluster.initial_cluster_manager_nodes"],
    set: { "discovery.type": "single-node" },
  },
  { anyOf: [heap], set: { [heap]: "-Xms512m -Xmx512m" } },
  { anyOf: Object.keys(security), set: security },
];
const searchReady = "curl -fsS 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=1s'";

/** The table. */
export const KNOWN_SERVICES: readonly KnownService[] = [
  {
    kind: "PostgreSQL",
    sql: true,
    repositories: ["postgres", "postgis/postgis", "pgvector/pgvector", "timescale/timescaledb", "cimg/postgres", "circleci/postgres"],
    // Over TCP: the server the image runs for its init scripts listens on its socket only.
    ready: "pg_isready -h 127.0.0.1 -U ${POSTGRES_USER:-postgres}",
    start: postgresStart,
    reads: /^(POSTGRES_|PG)/,
  },
  {
    kind: "PostgreSQL",
    sql: true,
    repositories: ["bitnami/postgresql", "bitnamilegacy/postgresql"],
    ready: "pg_isready -h 127.0.0.1 -U postgres",
    start: [{ anyOf: ["POSTGRESQL_PASSWORD", "POSTGRES_PASSWORD", "ALLOW_EMPTY_PASSWORD"], set: { ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^(POSTGRES(QL)?_|ALLOW_EMPTY_PASSWORD$)/,
  },
  {
    kind: "MySQL",
    sql: true,
    repositories: ["mysql", "mysql/mysql-server", "percona", "percona/percona-server", "cimg/mysql", "circleci/mysql"],
    // Over TCP: the init server runs with --skip-networking. The ping succeeds on "access denied" too.
    ready: mysqlAdmin,
    start: [{ anyOf: mysqlRoot, set: { MYSQL_ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^MYSQL_/,
  },
  {
    kind: "MySQL",
    sql: true,
    repositories: ["bitnami/mysql", "bitnamilegacy/mysql"],
    ready: mysqlAdmin,
    start: [{ anyOf: ["MYSQL_ROOT_PASSWORD", "ALLOW_EMPTY_PASSWORD"], set: { ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^(MYSQL_|ALLOW_EMPTY_PASSWORD$)/,
  },
  {
    kind: "MariaDB",
    sql: true,
    repositories: ["mariadb"],
    // healthcheck.sh ships with the image since 2023; older tags have mariadb-admin or only mysqladmin (11.0 dropped it).
    ready: `healthcheck.sh --connect --innodb_initialized || mariadb-admin ping -h 127.0.0.1 --silent || ${mysqlAdmin}`,
    start: [{ anyOf: mariadbRoot, set: { MYSQL_ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^(MARIADB_|MYSQL_)/,
  },
  {
    kind: "MariaDB",
    sql: true,
    repositories: ["bitnami/mariadb", "bitnamilegacy/mariadb"],
    ready: `mariadb-admin ping -h 127.0.0.1 --silent || ${mysqlAdmin}`,
    start: [{ anyOf: ["MARIADB_ROOT_PASSWORD", "ALLOW_EMPTY_PASSWORD"], set: { ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^(MARIADB_|ALLOW_EMPTY_PASSWORD$)/,
  },
  {
    kind: "Redis",
    cache: true,
    repositories: ["redis", "redis/redis-stack", "redis/redis-stack-server", "cimg/redis", "circleci/redis"],
    // A server that asks for a password answers NOAUTH: it is up. LOADING is not ready yet.
    ready: "redis-cli -h 127.0.0.1 ping 2>&1 | grep -qE 'PONG|NOAUTH'",
    start: [],
    reads: /^REDIS_/,
  },
  {
    kind: "Redis",
    cache: true,
    repositories: ["bitnami/redis", "bitnamilegacy/redis"],
    ready: "redis-cli -h 127.0.0.1 ping 2>&1 | grep -qE 'PONG|NOAUTH'",
    start: [{ anyOf: ["REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "ALLOW_EMPTY_PASSWORD"], set: { ALLOW_EMPTY_PASSWORD: "yes" }, credential: true }],
    reads: /^(REDIS_|ALLOW_EMPTY_PASSWORD$)/,
  },
  {
    kind: "Valkey",
    cache: true,
    repositories: ["valkey/valkey", "bitnami/valkey"],
    ready: "valkey-cli -h 127.0.0.1 ping 2>&1 | grep -qE 'PONG|NOAUTH'",
    start: [],
    reads: /^VALKEY_/,
  },
  { kind: "Memcached", cache: true, repositories: ["memcached", "bitnami/memcached"], ready: listening(11211), start: [], reads: /^MEMCACHED_/ },
  {
    kind: "RabbitMQ",
    repositories: ["rabbitmq", "bitnami/rabbitmq"],
    ready: "rabbitmq-diagnostics -q ping",
    timeout: 120,
    start: [],
    reads: /^RABBITMQ_/,
  },
  {
    kind: "MongoDB",
    repositories: ["mongo", "mongodb/mongodb-community-server", "bitnami/mongodb", "circleci/mongo", "cimg/mongo"],
    // mongosh since 5.0, the mongo shell until 6.0.
    ready: `mongosh --quiet --eval "db.adminCommand('ping')" || mongo --quiet --eval "db.adminCommand('ping')"`,
    start: [],
    reads: /^MONGO(DB)?_/,
  },
  {
    kind: "Elasticsearch",
    repositories: ["elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch"],
    ready: searchReady,
    timeout: 180,
    // Security on (the default since 8.0) means HTTPS and a generated password.
    start: search("ES_JAVA_OPTS", { "xpack.security.enabled": "false" }),
    reads: /^(ES_|ELASTIC_|[a-z]+\.[a-z_.]+$)/,
  },
  {
    kind: "Elasticsearch",
    repositories: ["docker.elastic.co/elasticsearch/elasticsearch-oss"],
    ready: searchReady,
    timeout: 180,
    start: search("ES_JAVA_OPTS", {}).slice(0, 2),
    reads: /^(ES_|[a-z]+\.[a-z_.]+$)/,
  },
  {
    kind: "OpenSearch",
    repositories: ["opensearchproject/opensearch"],
    ready: searchReady,
    timeout: 180,
    // Without these, 2.12 and later refuse to start with no admin password, earlier ones serve HTTPS.
    start: search("OPENSEARCH_JAVA_OPTS", { DISABLE_SECURITY_PLUGIN: "true", DISABLE_INSTALL_DEMO_CONFIG: "true", "plugins.security.disabled": "true" }),
    reads: /^(OPENSEARCH_|DISABLE_|[a-z]+\.[a-z_.]+$)/,
  },
  {
    kind: "MinIO",
    repositories: ["minio/minio", "quay.io/minio/minio", "bitnami/minio"],
    // The image has shipped mc, not curl, since late 2023.
    ready: "mc ready local || curl -fsS http://127.0.0.1:9000/minio/health/live",
    start: [],
    reads: /^MINIO_/,
  },
  {
    kind: "Kafka",
    repositories: ["apache/kafka", "apache/kafka-native", "bitnami/kafka", "confluentinc/cp-kafka"],
    ready: listening(9092),
    timeout: 120,
    start: [],
    reads: /^KAFKA_/,
  },
  {
    kind: "SQL Server",
    sql: true,
    repositories: ["mcr.microsoft.com/mssql/server", "mcr.microsoft.com/azure-sql-edge"],
    ready: listening(1433),
    timeout: 120,
    start: [
      { anyOf: ["ACCEPT_EULA"], set: { ACCEPT_EULA: "Y" } },
      // The image refuses a weak password: upper and lower case, a digit, at least 8 characters.
      { anyOf: ["MSSQL_SA_PASSWORD", "SA_PASSWORD", "MSSQL_SA_PASSWORD_FILE"], set: { MSSQL_SA_PASSWORD: "Test-Passw0rd" }, credential: true },
    ],
    reads: /^(MSSQL_|SA_PASSWORD$|ACCEPT_EULA$)/,
  },
];

/**
 * Well-known images of development tools: the app may send to them (mail, traces) or they look at
 * its data, but its tests do not need them. init leaves them out even when the app waits for one.
 */
export const KNOWN_TOOLS: readonly { kind: string; repositories: readonly string[] }[] = [
  { kind: "a mail catcher", repositories: ["mailhog/mailhog", "axllent/mailpit", "maildev/maildev", "schickling/mailcatcher", "rnwood/smtp4dev"] },
  {
    kind: "a tracing or metrics console",
    repositories: ["jaegertracing/all-in-one", "jaegertracing/jaeger", "openzipkin/zipkin", "grafana/grafana", "prom/prometheus", "grafana/otel-lgtm"],
  },
  {
    kind: "a console for a database, a queue or a cache",
    repositories: [
      "adminer",
      "phpmyadmin",
      "phpmyadmin/phpmyadmin",
      "dpage/pgadmin4",
      "mongo-express",
      "rediscommander/redis-commander",
      "provectuslabs/kafka-ui",
    ],
  },
  { kind: "a reverse proxy", repositories: ["traefik"] },
];

/** The tool an image is, by its repository. */
export function knownTool(image: string): string | undefined {
  const repository = canonicalRepository(image);
  return repository === undefined ? undefined : KNOWN_TOOLS.find((k) => k.repositories.includes(repository))?.kind;
}

/** Docker Hub's names for itself, and mirrors of its official images. */
const HUB = /^(docker\.io|index\.docker\.io|registry-1\.docker\.io|public\.ecr\.aws\/docker|mirror\.gcr\.io)\//;

/**
 * Docker Hub's web address for an official image (`docker.io/_/postgres`, as `hub.docker.com/_/postgres`
 * writes it) as a reference docker takes: `postgres`. Docker rejects `_` as a namespace.
 */
export function hubReference(image: string): string {
  return image.replace(/^((?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?_\//, "");
}

/** An image's repository as the table writes it: `docker.io/library/postgres:16` → `postgres`. */
export function canonicalRepository(image: string): string | undefined {
  // A tag that is still a compose variable (`postgres:${PG_VERSION}`) does not hide the repository.
  image = hubReference(image);
  const ref = parseReference(image) ?? parseReference(image.replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*/g, "x"));
  if (!ref) return undefined;
  return repositoryOf(ref)
    .replace(HUB, "")
    .replace(/^library\//, "");
}

/** The table's entry for an image, by its repository. */
export function knownService(image: string): KnownService | undefined {
  const repository = canonicalRepository(image);
  return repository === undefined ? undefined : KNOWN_SERVICES.find((k) => k.repositories.includes(repository));
}

/** The entry whose own client a probe runs (`pg_isready`, `mysqladmin ping`, `redis-cli ping`); not one of the generic tools. */
export function knownByProbe(probe: string): KnownService | undefined {
  // A probe of another host (`redis-cli -h redis ping` in an app's healthcheck) checks that host, not this container.
  const host = /(?:^|[\s"',])(?:-h|--host)(?:[\s"',=]+)([^\s"',]+)/.exec(probe)?.[1];
  if (host !== undefined && !/^(localhost|127\.0\.0\.1|::1)$/.test(host)) return undefined;
  return KNOWN_SERVICES.find((k) => {
    const client = k.ready.split(/\s+/)[0]!;
    // Generic tools, and a script any image may ship under a common name, say nothing.
    if (/^(curl|wget|grep|sh|test|nc|echo|mc|healthcheck\.sh)$/.test(client)) return false;
    return new RegExp(`(^|[^\\w.-])${escapeRegExp(client)}([^\\w.-]|$)`).test(probe);
  });
}

/** The settings of `known.start` that `environment` lacks, with the values that make the image start. */
export function missingStartSettings(known: KnownService, environment: Readonly<Record<string, unknown>>): StartSetting[] {
  return known.start.filter((s) => !s.anyOf.some((name) => Object.hasOwn(environment, name)));
}
