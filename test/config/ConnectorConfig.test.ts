import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Layer, Option, Redacted, TestClock } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ConfigInvalid } from "../../src/config/ConfigInvalid.js"
import { flattenYaml, makeConfigProvider } from "../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../src/config/ConnectorConfig.js"
import { toIsoDuration } from "../../src/config/IsoDuration.js"
import { SETTINGS } from "../../src/config/Settings.js"

/** Decodes the configuration from the given environment and YAML document, swapping the provider by layer. */
const decode = (env: Record<string, string>, yaml: unknown = {}) =>
  ConnectorConfig.ConnectorConfig.pipe(
    Effect.provide(
      ConnectorConfig.layer.pipe(Layer.provide(Layer.setConfigProvider(makeConfigProvider(env, flattenYaml(yaml)))))
    ),
    Effect.either
  )

const settingsOf = (result: Either.Either<ConnectorConfig.Settings, ConfigInvalid>) => {
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}
const problemsOf = (result: Either.Either<ConnectorConfig.Settings, ConfigInvalid>) => {
  if (Either.isRight(result)) throw new Error("expected the configuration to be rejected")
  return result.left
}

/** A complete, valid configuration given through config.yml. */
const BASE_YAML = {
  opencti: { url: "http://opencti:8080", token: "yaml-token-0000" },
  connector: { id: "5c1f6f0d-0b11-4e4c-9d53-6d8a1a5e2b2f", send_to_directory: true, send_to_directory_path: "/tmp/b" },
  spycloud: { api_key: "yaml-api-key-0000" }
}

const OFFLINE_ENV = {
  CONNECTOR_ID: "offline-id",
  CONNECTOR_SEND_TO_QUEUE: "false",
  CONNECTOR_SEND_TO_DIRECTORY: "true",
  CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/bundles",
  SPYCLOUD_API_KEY: "k-123"
}

/**
 * For every variable: a value given in config.yml, a different one in the environment, and what each
 * decodes to (as text). Written by hand: it is the specification of how each variable is read.
 */
const CASES: ReadonlyArray<readonly [path: string, yaml: unknown, env: string, fromYaml: unknown, fromEnv: unknown]> = [
  ["opencti.url", "http://a:8080/", "https://b.example.com", "http://a:8080", "https://b.example.com"],
  ["opencti.token", "token-from-yaml", "token-from-env", "token-from-yaml", "token-from-env"],
  ["opencti.ssl_verify", true, "/etc/ssl/ca.pem", true, "/etc/ssl/ca.pem"],
  ["opencti.json_logging", false, "True", false, true],
  ["opencti.custom_headers", "x-a:1", "x-b:2;x-c:3", "x-a:1", "x-b:2;x-c:3"],
  ["opencti.retry_timeout", "PT1M", "PT30S", "PT1M", "PT30S"],
  ["connector.id", "id-yaml", "id-env", "id-yaml", "id-env"],
  ["connector.name", "SpyCloud Y", "SpyCloud E", "SpyCloud Y", "SpyCloud E"],
  ["connector.type", "EXTERNAL_IMPORT", "external_import", "EXTERNAL_IMPORT", "EXTERNAL_IMPORT"],
  ["connector.scope", "spycloud", "spycloud,breach", "spycloud", "spycloud,breach"],
  ["connector.log_level", "DEBUG", "Warning", "debug", "warning"],
  ["connector.duration_period", "PT5M", "P1D", "PT5M", "P1D"],
  ["connector.queue_threshold", 250, "500.5", 250, 500.5],
  ["connector.run_and_terminate", "yes", "false", true, false],
  ["connector.send_to_queue", false, "true", false, true],
  ["connector.send_to_directory", true, "true", true, true],
  ["connector.send_to_directory_path", "/data/y", "/data/e", "/data/y", "/data/e"],
  ["connector.send_to_directory_retention", 0, "30", 0, 30],
  ["connector.queue_protocol", "api", "AMQP", "api", "amqp"],
  ["connector.queue_messages", "per-bundle", "PER-OBJECT", "per-bundle", "per-object"],
  ["connector.expose_metrics", true, "no", true, false],
  ["connector.metrics_port", 9100, "9200", 9100, 9200],
  ["connector.state_file", "/state/y.json", "/state/e.json", "/state/y.json", "/state/e.json"],
  ["connector.bundle_max_objects", 500, "2000", 500, 2000],
  ["mq.host", "rabbit-y", "rabbit-e", "rabbit-y", "rabbit-e"],
  ["mq.port", 5673, "5674", 5673, 5674],
  ["mq.vhost", "/", "opencti", "/", "opencti"],
  ["mq.use_ssl", true, "false", true, false],
  ["mq.user", "user-y", "user-e", "user-y", "user-e"],
  ["mq.pass", "pass-y", "pass-e", "pass-y", "pass-e"],
  ["mq.use_ssl_ca", "/ca-y.pem", "/ca-e.pem", "/ca-y.pem", "/ca-e.pem"],
  ["mq.use_ssl_cert", "/cert-y.pem", "/cert-e.pem", "/cert-y.pem", "/cert-e.pem"],
  ["mq.use_ssl_key", "/key-y.pem", "/key-e.pem", "/key-y.pem", "/key-e.pem"],
  ["mq.use_ssl_passphrase", "phrase-y", "phrase-e", "phrase-y", "phrase-e"],
  ["mq.use_ssl_reject_unauthorized", true, "false", true, false],
  ["mq.reconnect_timeout", "PT2M", "PT10S", "PT2M", "PT10S"],
  [
    "spycloud.api_base_url",
    "https://y.example/enterprise-v2",
    "http://localhost:1/x/",
    "https://y.example/enterprise-v2/",
    "http://localhost:1/x/"
  ],
  ["spycloud.api_key", "key-y", "key-e", "key-y", "key-e"],
  ["spycloud.severity_levels", [20, 25], " 2, 5,26 ,30", [20, 25], [2, 5, 26, 30]],
  ["spycloud.watchlist_types", "email,domain", "Subdomain, ip", ["email", "domain"], ["subdomain", "ip"]],
  ["spycloud.tlp_level", "red", "AMBER+STRICT", "red", "amber+strict"],
  [
    "spycloud.import_start_date",
    "2024-01-01",
    "2024-06-01T12:00:00+02:00",
    "2024-01-01T00:00:00.000Z",
    "2024-06-01T10:00:00.000Z"
  ],
  ["spycloud.include_sensitive_data", true, "false", true, false],
  ["spycloud.sync_modified_records", false, "true", false, true],
  ["spycloud.window_max_records", 5000, "20000", 5000, 20000],
  ["spycloud.connect_timeout", "PT5S", "PT20S", "PT5S", "PT20S"],
  ["spycloud.read_timeout", "PT30S", "PT2M", "PT30S", "PT2M"],
  ["spycloud.max_retries", 3, "0", 3, 0],
  ["spycloud.max_response_mb", 8, "128", 8, 128],
  ["spycloud.retry_initial_delay", "PT0.5S", "PT2S", "PT0.5S", "PT2S"],
  ["spycloud.retry_max_delay", "PT30S", "PT5M", "PT30S", "PT5M"]
]

const ALL_PATHS = Object.values(SETTINGS).flatMap((section) => Object.values(section).map((setting) => setting.path))

/** The decoded value in a comparable form: durations as ISO text, dates as ISO, secrets unwrapped. */
const comparable = (value: unknown): unknown => {
  if (Option.isOption(value)) return Option.match(value, { onNone: () => undefined, onSome: comparable })
  if (Redacted.isRedacted(value)) return Redacted.value(value)
  if (Duration.isDuration(value)) return toIsoDuration(value)
  if (DateTime.isDateTime(value)) return DateTime.formatIso(value)
  return value
}

const valueAt = (settings: ConnectorConfig.Settings, path: string) => {
  const [section] = path.split(".") as [string]
  const table = (SETTINGS as any)[section] as Record<string, { path: string }>
  const name = Object.keys(table).find((candidate) => table[candidate]!.path === path)!
  return (settings as any)[section][name]
}

const withYaml = (path: string, value: unknown) => {
  const [section, key] = path.split(".") as [string, string]
  const base = structuredClone(BASE_YAML) as Record<string, Record<string, unknown>>
  base[section] = { ...base[section], [key]: value }
  return base
}

describe("ConnectorConfig", () => {
  it("has a case for every variable", () => {
    expect(CASES.map(([path]) => path).sort()).toEqual([...ALL_PATHS].sort())
  })

  for (const [path, yaml, env, fromYaml, fromEnv] of CASES) {
    const envName = path.replace(".", "_").toUpperCase()
    it.effect(`${path}: read from config.yml, overridden by ${envName}`, () =>
      Effect.gen(function*() {
        const yamlOnly = settingsOf(yield* decode({}, withYaml(path, yaml)))
        expect(comparable(valueAt(yamlOnly, path))).toEqual(fromYaml)
        const overridden = settingsOf(yield* decode({ [envName]: env }, withYaml(path, yaml)))
        expect(comparable(valueAt(overridden, path))).toEqual(fromEnv)
      }))
  }

  it.effect("applies the documented defaults", () =>
    Effect.gen(function*() {
      const settings = settingsOf(yield* decode(OFFLINE_ENV))
      expect(settings.connector.name).toBe("SpyCloud")
      expect(settings.connector.scope).toBe("spycloud")
      expect(settings.connector.logLevel).toBe("info")
      expect(Duration.toMillis(settings.connector.durationPeriod)).toBe(3_600_000)
      expect(settings.connector.queueThreshold).toBe(500)
      expect(settings.connector.queueProtocol).toBe("amqp")
      expect(settings.connector.sendToDirectoryRetention).toBe(7)
      expect(settings.connector.metricsPort).toBe(9095)
      expect(Duration.toMillis(settings.mq.reconnectTimeout)).toBe(300_000)
      expect(Duration.toMillis(settings.opencti.retryTimeout)).toBe(300_000)
      expect(settings.opencti.jsonLogging).toBe(true)
      expect(settings.opencti.sslVerify).toBe(false)
      expect(settings.spycloud.apiBaseUrl).toBe("https://api.spycloud.io/enterprise-v2/")
      expect(settings.spycloud.severityLevels).toEqual([])
      expect(settings.spycloud.watchlistTypes).toEqual([])
      expect(settings.spycloud.tlpLevel).toBe("amber+strict")
      expect(DateTime.formatIso(settings.spycloud.importStartDate)).toBe("1970-01-01T00:00:00.000Z")
      expect(settings.spycloud.includeSensitiveData).toBe(false)
      expect(ConnectorConfig.isOffline(settings)).toBe(true)
    }))

  it.effect("treats an empty environment value as unset (falls back to config.yml)", () =>
    Effect.gen(function*() {
      const settings = settingsOf(yield* decode({ CONNECTOR_NAME: "  " }, withYaml("connector.name", "From YAML")))
      expect(settings.connector.name).toBe("From YAML")
    }))

  it.effect("reports every problem at once, naming both spellings, without the token's value", () =>
    Effect.gen(function*() {
      const error = problemsOf(
        yield* decode({
          OPENCTI_URL: "http://opencti:8080",
          OPENCTI_TOKEN: "s3cr3t-t0ken-value",
          SPYCLOUD_API_KEY: "another-secret-key",
          SPYCLOUD_SEVERITY_LEVELS: "20,3",
          CONNECTOR_DURATION_PERIOD: "5m",
          SPYCLOUD_TLP_LEVEL: "purple"
        })
      )
      const message = error.message
      expect(error.problems).toHaveLength(4)
      expect(message).toContain("Invalid configuration (4 problems)")
      expect(message).toContain("SPYCLOUD_SEVERITY_LEVELS (spycloud.severity_levels)")
      expect(message).toContain("\"3\" is not a SpyCloud severity")
      expect(message).toContain("CONNECTOR_DURATION_PERIOD (connector.duration_period)")
      expect(message).toContain("\"5m\" is not an ISO-8601 duration")
      expect(message).toContain("SPYCLOUD_TLP_LEVEL (spycloud.tlp_level)")
      expect(message).toContain("\"purple\" is not one of white, green, amber, amber+strict, red")
      expect(message).toContain("CONNECTOR_ID (connector.id): is required")
      expect(message).not.toContain("s3cr3t-t0ken-value")
      expect(message).not.toContain("another-secret-key")
    }))

  describe("values", () => {
    const one = (env: Record<string, string>) => decode({ ...OFFLINE_ENV, ...env })

    it.effect("durations: ISO-8601 and 0; other forms rejected", () =>
      Effect.gen(function*() {
        const millis = (text: string) =>
          Effect.map(one({ CONNECTOR_DURATION_PERIOD: text }), (r) =>
            Duration.toMillis(settingsOf(r).connector.durationPeriod))
        expect(yield* millis("PT1H30M")).toBe(5_400_000)
        expect(yield* millis("P1W")).toBe(604_800_000)
        expect(yield* millis("P1DT12H")).toBe(129_600_000)
        expect(yield* millis("0")).toBe(0)
        for (const bad of ["5m", "-PT5M", "PT", "300", "5 minutes"]) {
          const error = problemsOf(yield* one({ CONNECTOR_DURATION_PERIOD: bad }))
          expect(error.message).toContain("CONNECTOR_DURATION_PERIOD")
        }
      }))

    it.effect("booleans: pycti's words in any case; anything else rejected", () =>
      Effect.gen(function*() {
        for (const [text, value] of [["True", true], ["yes", true], ["FALSE", false], ["no", false], ["1", true]]) {
          const settings = settingsOf(yield* one({ CONNECTOR_RUN_AND_TERMINATE: text as string }))
          expect(settings.connector.runAndTerminate).toBe(value)
        }
        const error = problemsOf(yield* one({ CONNECTOR_RUN_AND_TERMINATE: "maybe" }))
        expect(error.message).toContain(
          "CONNECTOR_RUN_AND_TERMINATE (connector.run_and_terminate): \"maybe\" is not a boolean"
        )
      }))

    it.effect("lists: spaces tolerated, duplicates dropped, every wrong item named", () =>
      Effect.gen(function*() {
        const settings = settingsOf(
          yield* one({ SPYCLOUD_SEVERITY_LEVELS: "25 , 20,25,", SPYCLOUD_WATCHLIST_TYPES: "" })
        )
        expect(settings.spycloud.severityLevels).toEqual([25, 20])
        expect(settings.spycloud.watchlistTypes).toEqual([])
        const error = problemsOf(
          yield* one({ SPYCLOUD_SEVERITY_LEVELS: "1,20,high", SPYCLOUD_WATCHLIST_TYPES: "email,phone" })
        )
        expect(error.message).toContain("\"1\", \"high\" are not SpyCloud severity")
        expect(error.message).toContain("\"phone\" is not a watchlist type")
      }))

    it.effect("dates: with or without time and zone; impossible dates rejected", () =>
      Effect.gen(function*() {
        const iso = (text: string) =>
          Effect.map(one({ SPYCLOUD_IMPORT_START_DATE: text }), (r) =>
            DateTime.formatIso(settingsOf(r).spycloud.importStartDate))
        expect(yield* iso("2024-03-01")).toBe("2024-03-01T00:00:00.000Z")
        expect(yield* iso("2024-03-01T10:20:30")).toBe("2024-03-01T10:20:30.000Z")
        expect(yield* iso("2024-03-01T10:20:30.5Z")).toBe("2024-03-01T10:20:30.500Z")
        expect(yield* iso("2024-03-01T01:00:00+02:00")).toBe("2024-02-29T23:00:00.000Z")
        for (const bad of ["2024-02-30", "01/03/2024", "yesterday", "2024-13-01T00:00:00Z"]) {
          const error = problemsOf(yield* one({ SPYCLOUD_IMPORT_START_DATE: bad }))
          expect(error.message).toContain(`SPYCLOUD_IMPORT_START_DATE (spycloud.import_start_date): "${bad}"`)
        }
      }))

    it.effect("dates: a duration means that long before now", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.parse("2025-03-31T12:00:00Z"))
        const settings = settingsOf(yield* one({ SPYCLOUD_IMPORT_START_DATE: "P30D" }))
        expect(DateTime.formatIso(settings.spycloud.importStartDate)).toBe("2025-03-01T12:00:00.000Z")
      }))

    it.effect("URLs: scheme checked, SpyCloud's normalised to end with /", () =>
      Effect.gen(function*() {
        const base = settingsOf(yield* one({ SPYCLOUD_API_BASE_URL: "https://api.spycloud.io/enterprise-v2" }))
        expect(base.spycloud.apiBaseUrl).toBe("https://api.spycloud.io/enterprise-v2/")
        const error = problemsOf(yield* one({ SPYCLOUD_API_BASE_URL: "ftp://x", OPENCTI_URL: "not a url" }))
        expect(error.message).toContain(
          "SPYCLOUD_API_BASE_URL (spycloud.api_base_url): \"ftp://x\" must start with http"
        )
        expect(error.message).toContain("OPENCTI_URL (opencti.url): \"not a url\" is not a URL")
      }))

    it.effect("numbers and ports are range-checked", () =>
      Effect.gen(function*() {
        const error = problemsOf(
          yield* one({ CONNECTOR_METRICS_PORT: "70000", CONNECTOR_SEND_TO_DIRECTORY_RETENTION: "-1", MQ_PORT: "x" })
        )
        expect(error.problems.map((p) => p.subject)).toEqual([
          "CONNECTOR_SEND_TO_DIRECTORY_RETENTION (connector.send_to_directory_retention)",
          "CONNECTOR_METRICS_PORT (connector.metrics_port)",
          "MQ_PORT (mq.port)"
        ])
      }))

    it.effect("log levels as pycti accepts them", () =>
      Effect.gen(function*() {
        for (
          const [text, level] of [["WARN", "warning"], ["warning", "warning"], ["Error", "error"], ["DEBUG", "debug"]]
        ) {
          expect(settingsOf(yield* one({ CONNECTOR_LOG_LEVEL: text! })).connector.logLevel).toBe(level)
        }
        expect(problemsOf(yield* one({ CONNECTOR_LOG_LEVEL: "verbose" })).message).toContain("CONNECTOR_LOG_LEVEL")
      }))
  })

  describe("modes", () => {
    it.effect("without OPENCTI_URL the connector must be configured for offline mode", () =>
      Effect.gen(function*() {
        const error = problemsOf(yield* decode({ CONNECTOR_ID: "x", SPYCLOUD_API_KEY: "k" }))
        expect(error.message).toContain("OPENCTI_URL (opencti.url): is required unless the connector runs offline")
        const nowhere = problemsOf(
          yield* decode({ CONNECTOR_ID: "x", SPYCLOUD_API_KEY: "k", CONNECTOR_SEND_TO_QUEUE: "false" })
        )
        expect(nowhere.message).toContain("CONNECTOR_SEND_TO_DIRECTORY (connector.send_to_directory): must be true")
      }))

    it.effect("a directory sink needs its path; OpenCTI needs a token; placeholders are refused", () =>
      Effect.gen(function*() {
        const error = problemsOf(
          yield* decode({
            CONNECTOR_ID: "x",
            SPYCLOUD_API_KEY: "ChangeMe",
            OPENCTI_URL: "http://opencti:8080",
            CONNECTOR_SEND_TO_DIRECTORY: "true"
          })
        )
        expect(error.message).toContain("SPYCLOUD_API_KEY (spycloud.api_key): is still the placeholder ChangeMe")
        expect(error.message).toContain("OPENCTI_TOKEN (opencti.token): is required when OPENCTI_URL is set")
        expect(error.message).toContain(
          "CONNECTOR_SEND_TO_DIRECTORY_PATH (connector.send_to_directory_path): is required"
        )
      }))
  })

  describe("secrets from files (*_FILE)", () => {
    const secretFile = (content: string) => {
      const dir = mkdtempSync(join(tmpdir(), "spycloud-secret-"))
      const path = join(dir, "secret")
      writeFileSync(path, content)
      return path
    }
    const ONLINE = {
      CONNECTOR_ID: "x",
      OPENCTI_URL: "http://opencti:8080",
      CONNECTOR_SEND_TO_DIRECTORY: "false"
    }

    it.effect("read once at start, trailing line break dropped, Redacted; config.yml may name the file too", () =>
      Effect.gen(function*() {
        const settings = settingsOf(
          yield* decode({
            ...ONLINE,
            OPENCTI_TOKEN_FILE: secretFile("token-from-file\n"),
            SPYCLOUD_API_KEY_FILE: secretFile("key-from-file\r\n"),
            MQ_PASS_FILE: secretFile("pass-from-file")
          })
        )
        expect(Redacted.isRedacted(Option.getOrThrow(settings.opencti.token))).toBe(true)
        expect(comparable(settings.opencti.token)).toBe("token-from-file")
        expect(comparable(settings.spycloud.apiKey)).toBe("key-from-file")
        expect(comparable(settings.mq.pass)).toBe("pass-from-file")

        const fromYaml = settingsOf(
          yield* decode({ ...ONLINE, OPENCTI_TOKEN: "t" }, {
            spycloud: { api_key_file: secretFile("yaml-file-key\n") }
          })
        )
        expect(comparable(fromYaml.spycloud.apiKey)).toBe("yaml-file-key")
      }))

    it.effect("both spellings, or a file that cannot be read, are problems listed with the others; never the content", () =>
      Effect.gen(function*() {
        const missing = join(tmpdir(), "spycloud-no-such-dir", "token")
        const error = problemsOf(
          yield* decode({
            ...ONLINE,
            OPENCTI_TOKEN_FILE: missing,
            SPYCLOUD_API_KEY: "key-in-env-5521",
            SPYCLOUD_API_KEY_FILE: secretFile("key-in-file-7730"),
            CONNECTOR_DURATION_PERIOD: "PT5X"
          })
        )
        expect(error.message).toContain(
          `OPENCTI_TOKEN_FILE (opencti.token_file): names ${missing}, which cannot be read (ENOENT)`
        )
        expect(error.message).toContain(
          "SPYCLOUD_API_KEY (spycloud.api_key) and SPYCLOUD_API_KEY_FILE (spycloud.api_key_file): are both set"
        )
        expect(error.message).toContain("CONNECTOR_DURATION_PERIOD (connector.duration_period)")
        expect(error.problems).toHaveLength(3)
        expect(error.message).not.toContain("key-in-env-5521")
        expect(error.message).not.toContain("key-in-file-7730")
      }))
  })
})
