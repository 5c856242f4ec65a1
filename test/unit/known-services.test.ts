import { describe, expect, it } from "vitest";
import { compileSpec } from "../../src/index.js";
import { canonicalRepository, KNOWN_SERVICES, knownService, listening, missingStartSettings, knownByProbe } from "../../src/spec/known-services.js";

const kind = (image: string) => knownService(image)?.kind;
const services = (yaml: string) => {
  const { spec, diagnostics } = compileSpec(`image: acme/shop\nservices:\n${yaml}`);
  return { services: spec?.images[0]!.services ?? [], codes: diagnostics.map((d) => `${d.code} ${d.path}`) };
};

describe("the table of well-known service images", () => {
  it.each([
    ["postgres:16", "PostgreSQL"],
    ["docker.io/library/postgres:16-alpine", "PostgreSQL"],
    ["postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "PostgreSQL"],
    ["public.ecr.aws/docker/library/redis:7", "Redis"],
    ["bitnami/postgresql:16", "PostgreSQL"],
    ["mysql:8.4", "MySQL"],
    ["mariadb:11", "MariaDB"],
    ["valkey/valkey:8", "Valkey"],
    ["memcached:1.6-alpine", "Memcached"],
    ["rabbitmq:3-management", "RabbitMQ"],
    ["mongo:7", "MongoDB"],
    ["docker.elastic.co/elasticsearch/elasticsearch:8.14.0", "Elasticsearch"],
    ["opensearchproject/opensearch:2", "OpenSearch"],
    ["quay.io/minio/minio", "MinIO"],
    ["apache/kafka:3.8.0", "Kafka"],
    ["mcr.microsoft.com/mssql/server:2022-latest", "SQL Server"],
    // A tag still a compose variable does not hide the repository.
    ["postgres:${PG_VERSION}", "PostgreSQL"],
  ])("%s is %s, by its repository", (image, expected) => {
    expect(kind(image)).toBe(expected);
  });

  it.each(["acme/postgres", "ghcr.io/acme/redis-proxy", "adminer", "nginx:1", "myregistry.example.com/postgres:16", "not an image"])(
    "%s is not one: the repository decides, never a name in it",
    (image) => {
      expect(knownService(image)).toBeUndefined();
    },
  );

  it("writes repositories as the table keys them", () => {
    expect(canonicalRepository("index.docker.io/library/mongo:7")).toBe("mongo");
    expect(canonicalRepository("docker.io/bitnami/redis:7")).toBe("bitnami/redis");
    expect(canonicalRepository("localhost:5000/redis")).toBe("localhost:5000/redis");
    for (const k of KNOWN_SERVICES) for (const r of k.repositories) expect(canonicalRepository(r)).toBe(r);
  });

  it("each image has a probe; the probes use what the images ship, over TCP where an init server runs on a socket", () => {
    expect(knownService("postgres")!.ready).toMatch(/^pg_isready -h 127\.0\.0\.1 /);
    expect(knownService("mysql")!.ready).toBe("mysqladmin ping -h 127.0.0.1 --silent");
    expect(knownService("mariadb")!.ready).toMatch(/^healthcheck\.sh --connect --innodb_initialized \|\| mariadb-admin ping/);
    expect(knownService("redis")!.ready).toMatch(/^redis-cli -h 127\.0\.0\.1 ping/);
    expect(knownService("rabbitmq")!.ready).toBe("rabbitmq-diagnostics -q ping");
    expect(knownService("mongo")!.ready).toMatch(/^mongosh .*\|\| mongo /);
    expect(knownService("elasticsearch:8.14.0")!.ready).toMatch(/^curl -fsS 'http:\/\/127\.0\.0\.1:9200\/_cluster\/health/);
    for (const k of KNOWN_SERVICES) expect(k.ready, k.kind).not.toBe("");
  });

  it("a port probe reads the kernel's socket table: 11211 is 2BCB", () => {
    expect(listening(11211)).toBe("grep -q ':2BCB [0:]* 0A' /proc/net/tcp /proc/net/tcp6");
    expect(listening(80)).toContain("':0050 ");
    expect(knownService("memcached")!.ready).toBe(listening(11211));
  });

  it("start settings: what is missing, with compose's own choice kept", () => {
    const pg = knownService("postgres:16")!;
    expect(missingStartSettings(pg, {}).map((s) => s.set)).toEqual([{ POSTGRES_HOST_AUTH_METHOD: "trust" }]);
    expect(missingStartSettings(pg, { POSTGRES_PASSWORD: "x" })).toEqual([]);
    expect(missingStartSettings(pg, { POSTGRES_PASSWORD_FILE: "/run/secrets/pw" })).toEqual([]);
    const mysql = knownService("mysql:8")!;
    expect(missingStartSettings(mysql, {}).map((s) => [s.set, s.credential])).toEqual([[{ MYSQL_ALLOW_EMPTY_PASSWORD: "yes" }, true]]);
    expect(missingStartSettings(mysql, { MYSQL_RANDOM_ROOT_PASSWORD: "1" })).toEqual([]);
    expect(missingStartSettings(knownService("mariadb")!, { MARIADB_ROOT_PASSWORD: "x" })).toEqual([]);
    const es = missingStartSettings(knownService("docker.elastic.co/elasticsearch/elasticsearch:8.14.0")!, { "discovery.type": "single-node" });
    expect(Object.assign({}, ...es.map((s) => s.set))).toEqual({ ES_JAVA_OPTS: "-Xms512m -Xmx512m", "xpack.security.enabled": "false" });
    // The OSS distribution has no x-pack: the setting would stop it.
    const oss = missingStartSettings(knownService("docker.elastic.co/elasticsearch/elasticsearch-oss:7.10.2")!, {});
    expect(oss.flatMap((s) => Object.keys(s.set))).toEqual(["discovery.type", "ES_JAVA_OPTS"]);
    const os = missingStartSettings(knownService("opensearchproject/opensearch:2")!, {});
    expect(os.flatMap((s) => Object.keys(s.set))).toContain("DISABLE_SECURITY_PLUGIN");
    expect(missingStartSettings(knownService("redis:7")!, {})).toEqual([]);
  });
});

describe("generate: a service of a well-known image waits with its probe", () => {
  it("without ready:, the image's own probe and timeout; with one, the spec's; ready: false for none", () => {
    const { services: s, codes } = services(
      [
        "  db: postgres:16",
        "  es: { image: 'docker.elastic.co/elasticsearch/elasticsearch:8.14.0' }",
        "  cache: { image: redis:7, ready: 'redis-cli ping' }",
        "  queue: { image: rabbitmq:3, ready: false }",
        "  web: nginx:1",
        "",
      ].join("\n"),
    );
    expect(codes).toEqual([]);
    expect(Object.fromEntries(s.map((x) => [x.name, x.ready]))).toEqual({
      db: { command: knownService("postgres")!.ready, timeout: 60, interval: 1 },
      es: { command: knownService("elasticsearch")!.ready, timeout: 180, interval: 1 },
      cache: { command: "redis-cli ping", timeout: 60, interval: 1 },
      queue: undefined,
      web: undefined,
    });
  });
});

describe("a service's environment takes the names docker takes", () => {
  it("dotted settings (discovery.type) are taken for a service, not for the test", () => {
    expect(services("  es:\n    image: elasticsearch:8.14.0\n    environment: { discovery.type: single-node, xpack.security.enabled: false }\n").codes).toEqual(
      [],
    );
    const test = compileSpec("image: acme/shop\ntest:\n  command: x\n  environment: { discovery.type: x }\n");
    expect(test.diagnostics.map((d) => d.code)).toEqual(["GC1006"]);
  });

  it.each([
    ["a = sign", '"A=B": x'],
    ["a space", '"A B": x'],
    ["a tab", '"A\\tB": x'],
  ])("a name with %s is refused", (_, entry) => {
    const { codes } = services(`  db:\n    image: postgres:16\n    environment: { ${entry} }\n`);
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatch(/^GC1006 \/services\/db\/environment/);
  });
});

describe("a store read by its healthcheck", () => {
  it("its own client, run against this container: not a generic tool, a common script name, or another host", () => {
    expect(knownByProbe('["CMD-SHELL","pg_isready -U app"]')?.kind).toBe("PostgreSQL");
    expect(knownByProbe('["CMD","redis-cli","-h","127.0.0.1","ping"]')?.kind).toBe("Redis");
    expect(knownByProbe('["CMD","/healthcheck.sh"]')).toBeUndefined();
    expect(knownByProbe('"./healthcheck.sh || exit 1"')).toBeUndefined();
    expect(knownByProbe('["CMD","curl","-f","http://localhost:8080"]')).toBeUndefined();
    // An app that checks the store it depends on is not that store.
    expect(knownByProbe('["CMD","redis-cli","-h","redis","ping"]')).toBeUndefined();
    expect(knownByProbe('["CMD-SHELL","pg_isready -h db"]')).toBeUndefined();
  });
});
