/**
 * Every configuration variable the connector reads, grouped by `config.yml` section. Names, meanings and
 * defaults follow pycti's helper and the official SpyCloud connector; variables marked `ours` are
 * additions with safe defaults.
 */
import { Schema } from "effect"
import { CatalogJson } from "./CatalogJson.js"
import { IsoDuration } from "./IsoDuration.js"
import { optional, required, secret, withDefault } from "./Setting.js"
import {
  Bool,
  CommaList,
  HttpUrl,
  NonNegativeInt,
  NonNegativeNumber,
  OneOf,
  Port,
  PositiveInt,
  StartDate,
  Text
} from "./ValueSchemas.js"

export const SEVERITY_LEVELS = [2, 5, 20, 25, 26, 30] as const
export type SeverityLevel = typeof SEVERITY_LEVELS[number]
export const WATCHLIST_TYPES = ["email", "domain", "subdomain", "ip"] as const
export type WatchlistType = typeof WATCHLIST_TYPES[number]
export const TLP_LEVELS = ["white", "green", "amber", "amber+strict", "red"] as const
export type TlpLevel = typeof TLP_LEVELS[number]
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const
export type LogLevelName = typeof LOG_LEVELS[number]

const SecretText = Schema.Redacted(Text)

/** Either `true`/`false` or the path of a CA bundle, as pycti reads OPENCTI_SSL_VERIFY. */
const SslVerify = Schema.Union(Bool, Text).annotations({ [CatalogJson]: { type: "string", minLength: 1 } })

export const opencti = {
  url: optional({
    path: "opencti.url",
    schema: HttpUrl(false),
    description: "OpenCTI base URL (the API is at <url>/graphql). Leave unset for offline mode.",
    origin: "pycti"
  }),
  token: secret({
    path: "opencti.token",
    schema: SecretText,
    description: "OpenCTI API token of the connector's user. Required with OPENCTI_URL.",
    origin: "pycti",
    fromFile: true
  }),
  sslVerify: withDefault({
    path: "opencti.ssl_verify",
    schema: SslVerify,
    default: "false",
    description: "Verify OpenCTI's TLS certificate: true, false, or the path of a CA bundle.",
    origin: "pycti"
  }),
  jsonLogging: withDefault({
    path: "opencti.json_logging",
    schema: Bool,
    default: "true",
    description: "Log one JSON object per line (like pycti); false for readable text.",
    origin: "pycti"
  }),
  customHeaders: secret({
    path: "opencti.custom_headers",
    schema: SecretText,
    description: "Extra HTTP headers for every OpenCTI call, as name:value;name2:value2.",
    origin: "pycti"
  }),
  retryTimeout: withDefault({
    path: "opencti.retry_timeout",
    schema: IsoDuration,
    default: "PT5M",
    description:
      "How long a pass retries (with backoff) an OpenCTI API that is unreachable, e.g. restarting (refused, reset, HTTP 502/503), before it fails.",
    origin: "ours"
  })
}

export const connector = {
  id: required({
    path: "connector.id",
    schema: Text,
    description: "Connector id (a UUIDv4); names its queues and works in OpenCTI.",
    origin: "pycti"
  }),
  name: withDefault({
    path: "connector.name",
    schema: Text,
    default: "SpyCloud",
    description: "Connector name; also the author identity of everything imported and the log name.",
    origin: "pycti"
  }),
  type: withDefault({
    path: "connector.type",
    schema: OneOf(["EXTERNAL_IMPORT"]),
    default: "EXTERNAL_IMPORT",
    description: "Connector type; only EXTERNAL_IMPORT is valid.",
    origin: "pycti"
  }),
  scope: withDefault({
    path: "connector.scope",
    schema: Text,
    default: "spycloud",
    description: "Comma-separated scope sent at registration.",
    origin: "pycti"
  }),
  logLevel: withDefault({
    path: "connector.log_level",
    schema: OneOf(LOG_LEVELS, { warn: "warning" }),
    default: "info",
    description: "Minimum log level: debug, info, warn (or warning), error.",
    origin: "pycti"
  }),
  durationPeriod: withDefault({
    path: "connector.duration_period",
    schema: IsoDuration,
    default: "PT1H",
    description: "Time between the end of a pass and the start of the next (ISO-8601, e.g. PT5M); 0 runs once.",
    origin: "pycti"
  }),
  queueThreshold: withDefault({
    path: "connector.queue_threshold",
    schema: NonNegativeNumber,
    default: "500",
    description: "Push-queue size in MB above which a scheduled pass is skipped.",
    origin: "pycti"
  }),
  runAndTerminate: withDefault({
    path: "connector.run_and_terminate",
    schema: Bool,
    default: "false",
    description: "Run one pass, then exit (same as the once command).",
    origin: "pycti"
  }),
  sendToQueue: withDefault({
    path: "connector.send_to_queue",
    schema: Bool,
    default: "true",
    description: "Send bundles to OpenCTI (RabbitMQ or API, see queue_protocol).",
    origin: "pycti"
  }),
  sendToDirectory: withDefault({
    path: "connector.send_to_directory",
    schema: Bool,
    default: "false",
    description: "Also write every bundle as a JSON file into send_to_directory_path.",
    origin: "pycti"
  }),
  sendToDirectoryPath: optional({
    path: "connector.send_to_directory_path",
    schema: Text,
    description: "Directory for bundle files (required when send_to_directory is true).",
    origin: "pycti"
  }),
  sendToDirectoryRetention: withDefault({
    path: "connector.send_to_directory_retention",
    schema: NonNegativeInt,
    default: "7",
    description: "Days to keep bundle files in the directory; 0 keeps them forever.",
    origin: "pycti"
  }),
  queueProtocol: withDefault({
    path: "connector.queue_protocol",
    schema: OneOf(["amqp", "api"]),
    default: "amqp",
    description: "How bundles reach OpenCTI: amqp (RabbitMQ, one message per object) or api (stixBundlePush).",
    origin: "pycti"
  }),
  queueMessages: withDefault({
    path: "connector.queue_messages",
    schema: OneOf(["per-object", "per-bundle"]),
    default: "per-object",
    description:
      "RabbitMQ only. per-object: one message per object, expectations added (pycti's way); per-bundle: one " +
      "message per bundle, split by OpenCTI's worker (about 3× faster; the work may show done early).",
    origin: "ours"
  }),
  exposeMetrics: withDefault({
    path: "connector.expose_metrics",
    schema: Bool,
    default: "false",
    description: "Serve Prometheus metrics on metrics_port.",
    origin: "pycti"
  }),
  metricsPort: withDefault({
    path: "connector.metrics_port",
    schema: Port,
    default: "9095",
    description: "Port of the Prometheus metrics endpoint (all interfaces).",
    origin: "pycti"
  }),
  stateFile: optional({
    path: "connector.state_file",
    schema: Text,
    description:
      "Offline mode only: JSON file holding the connector state (default: .spycloud-connector-state.json in send_to_directory_path).",
    origin: "ours"
  }),
  bundleMaxObjects: withDefault({
    path: "connector.bundle_max_objects",
    schema: PositiveInt,
    default: "2000",
    description:
      "Upper bound on objects per bundle (author and marking included); a record's objects always stay in one bundle.",
    origin: "ours"
  })
}

export const mq = {
  host: optional({
    path: "mq.host",
    schema: Text,
    description: "RabbitMQ host; overrides the one OpenCTI returns at registration.",
    origin: "pycti"
  }),
  port: optional({ path: "mq.port", schema: Port, description: "RabbitMQ port override.", origin: "pycti" }),
  vhost: optional({ path: "mq.vhost", schema: Text, description: "RabbitMQ virtual host override.", origin: "pycti" }),
  useSsl: optional({ path: "mq.use_ssl", schema: Bool, description: "Use AMQPS (TLS) override.", origin: "pycti" }),
  user: optional({ path: "mq.user", schema: Text, description: "RabbitMQ user override.", origin: "pycti" }),
  pass: secret({
    path: "mq.pass",
    schema: SecretText,
    description: "RabbitMQ password override.",
    origin: "pycti",
    fromFile: true
  }),
  useSslCa: optional({
    path: "mq.use_ssl_ca",
    schema: Text,
    description: "CA certificate for AMQPS: a file path or inline PEM.",
    origin: "pycti"
  }),
  useSslCert: optional({
    path: "mq.use_ssl_cert",
    schema: Text,
    description: "Client certificate for AMQPS: a file path or inline PEM.",
    origin: "pycti"
  }),
  useSslKey: secret({
    path: "mq.use_ssl_key",
    schema: SecretText,
    description: "Client key for AMQPS: a file path or inline PEM.",
    origin: "pycti"
  }),
  useSslPassphrase: secret({
    path: "mq.use_ssl_passphrase",
    schema: SecretText,
    description: "Passphrase of the AMQPS client key.",
    origin: "pycti"
  }),
  useSslRejectUnauthorized: withDefault({
    path: "mq.use_ssl_reject_unauthorized",
    schema: Bool,
    default: "false",
    description: "Verify the broker's TLS certificate.",
    origin: "pycti"
  }),
  reconnectTimeout: withDefault({
    path: "mq.reconnect_timeout",
    schema: IsoDuration,
    default: "PT5M",
    description:
      "How long a pass keeps reconnecting to a lost RabbitMQ (with backoff) and re-sending the unconfirmed messages before it fails.",
    origin: "ours"
  })
}

export const spycloud = {
  apiBaseUrl: withDefault({
    path: "spycloud.api_base_url",
    schema: HttpUrl(true),
    default: "https://api.spycloud.io/enterprise-v2/",
    description: "SpyCloud Enterprise API base URL (a trailing / is added).",
    origin: "spycloud"
  }),
  apiKey: secret({
    path: "spycloud.api_key",
    schema: SecretText,
    description: "SpyCloud API key (sent as X-API-KEY). Required.",
    origin: "spycloud",
    fromFile: true
  }),
  severityLevels: withDefault({
    path: "spycloud.severity_levels",
    schema: CommaList(SEVERITY_LEVELS, "SpyCloud severity", (item) => /^\d+$/.test(item) ? Number(item) : undefined),
    default: "",
    description: "Comma-separated severities to import (2, 5, 20, 25, 26, 30); empty imports all.",
    origin: "spycloud"
  }),
  watchlistTypes: withDefault({
    path: "spycloud.watchlist_types",
    schema: CommaList(WATCHLIST_TYPES, "watchlist type", (item) => item.toLowerCase()),
    default: "",
    description: "Comma-separated watchlist types (email, domain, subdomain, ip), each with its own state; empty: all.",
    origin: "spycloud"
  }),
  tlpLevel: withDefault({
    path: "spycloud.tlp_level",
    schema: OneOf(TLP_LEVELS, { "tlp:clear": "white", clear: "white" }),
    default: "amber+strict",
    description: "TLP marking of imported objects: white, green, amber, amber+strict, red.",
    origin: "spycloud"
  }),
  importStartDate: withDefault({
    path: "spycloud.import_start_date",
    schema: StartDate,
    default: "1970-01-01T00:00:00Z",
    description:
      "Where the first pass starts (ISO-8601 date or date-time, or a duration such as P30D for 30 days ago).",
    origin: "spycloud"
  }),
  includeSensitiveData: withDefault({
    path: "spycloud.include_sensitive_data",
    schema: Bool,
    default: "false",
    description:
      "Put passwords, salts, tokens, cookies and card data into incident descriptions (off: only their presence).",
    origin: "ours"
  }),
  syncModifiedRecords: withDefault({
    path: "spycloud.sync_modified_records",
    schema: Bool,
    default: "true",
    description: "Once a day, re-import records SpyCloud modified (e.g. passwords cracked later).",
    origin: "ours"
  }),
  windowMaxRecords: withDefault({
    path: "spycloud.window_max_records",
    schema: PositiveInt,
    default: "10000",
    description: "A time window whose query matches more records is split; smaller means more frequent checkpoints.",
    origin: "ours"
  }),
  maxResponseMb: withDefault({
    path: "spycloud.max_response_mb",
    schema: PositiveInt,
    default: "64",
    description:
      "Largest SpyCloud answer read, in MiB (a full page of 1000 records is a few MiB); a larger one is abandoned and retried like a bad answer.",
    origin: "ours"
  }),
  connectTimeout: withDefault({
    path: "spycloud.connect_timeout",
    schema: IsoDuration,
    default: "PT10S",
    description: "Time allowed to connect to SpyCloud.",
    origin: "ours"
  }),
  readTimeout: withDefault({
    path: "spycloud.read_timeout",
    schema: IsoDuration,
    default: "PT60S",
    description: "Time allowed for one SpyCloud response.",
    origin: "ours"
  }),
  maxRetries: withDefault({
    path: "spycloud.max_retries",
    schema: NonNegativeInt,
    default: "5",
    description:
      "Retries of a failing SpyCloud request (5xx, 429 throttling, network errors); after a 504 (too heavy a query) only one more attempt.",
    origin: "ours"
  }),
  retryInitialDelay: withDefault({
    path: "spycloud.retry_initial_delay",
    schema: IsoDuration,
    default: "PT1S",
    description: "First retry delay; doubles on each retry, with jitter.",
    origin: "ours"
  }),
  retryMaxDelay: withDefault({
    path: "spycloud.retry_max_delay",
    schema: IsoDuration,
    default: "PT60S",
    description: "Upper bound of one retry delay (Retry-After included).",
    origin: "ours"
  })
}

/** All sections, in the order they are documented. */
export const SETTINGS = { opencti, connector, mq, spycloud } as const
export type SettingsTable = typeof SETTINGS
