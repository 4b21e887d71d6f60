/**
 * Generates the configuration documentation from the settings table (src/config/Settings.ts), so that it
 * cannot drift: the README table, config.yml.sample, docker-compose.yml, and the OpenCTI catalog's
 * configuration schema and its table (`__metadata__/`). `npm run docs:config` rewrites them;
 * test/config/ConfigDocs.test.ts fails when a committed file differs from what this produces.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { catalogJson } from "../src/config/CatalogJson.js"
import { fileVariant, type Setting } from "../src/config/Setting.js"
import { SETTINGS } from "../src/config/Settings.js"

const ROOT = resolve(fileURLToPath(import.meta.url), "../..")

/** The catalog manifest: the image name, version and repository the generated files refer to. */
export const MANIFEST = JSON.parse(readFileSync(resolve(ROOT, "__metadata__/connector_manifest.json"), "utf8")) as {
  readonly container_image: string
  readonly container_version: string
  readonly source_code: string
}

const ALL: ReadonlyArray<Setting<unknown>> = Object.values(SETTINGS).flatMap((section) => Object.values(section))

/** Values shown un-commented in the samples: what a new deployment has to fill in or usually sets. */
const SAMPLE_VALUES: Readonly<Record<string, string>> = {
  "opencti.url": "http://opencti:8080",
  "opencti.token": "ChangeMe",
  "connector.id": "ChangeMe",
  "connector.name": "SpyCloud",
  "connector.scope": "spycloud",
  "connector.log_level": "info",
  "connector.duration_period": "PT1H",
  "spycloud.api_base_url": "https://api.spycloud.io/enterprise-v2/",
  "spycloud.api_key": "ChangeMe",
  "spycloud.severity_levels": "20,25,26,30",
  "spycloud.watchlist_types": "",
  "spycloud.tlp_level": "amber+strict",
  "spycloud.import_start_date": "2024-01-01T00:00:00Z"
}

const ORIGIN_TEXT = { pycti: "OpenCTI", spycloud: "official connector", ours: "this connector" } as const

const defaultText = (setting: Setting<unknown>) =>
  setting.defaultText === undefined ? (setting.required ? "required" : "unset") : `\`${setting.defaultText}\``

/** What `<ENV>_FILE` does, in the words every generated file uses. */
const fileVariantText = (setting: Setting<unknown>) =>
  `File holding ${setting.env} (e.g. a Docker or Kubernetes secret), read once at start, its trailing line ` +
  `break dropped; not together with ${setting.env}.`

/** The Docker secret name the compose example uses for a `fromFile` setting. */
const secretName = (setting: Setting<unknown>) => setting.env.toLowerCase()

const FROM_FILE = ALL.filter((setting) => setting.fromFile)

export const renderReadmeTable = (): string => {
  const rows = ALL.flatMap((setting) => {
    const row = `| \`${setting.env}\` | \`${setting.path}\` | ${
      setting.defaultText === "" ? "empty" : defaultText(setting)
    } | ${setting.description.replace(/\|/g, "\\|")} | ${ORIGIN_TEXT[setting.origin]} |`
    if (!setting.fromFile) return [row]
    const variant = fileVariant(setting)
    return [row, `| \`${variant.env}\` | \`${variant.path}\` | unset | ${fileVariantText(setting)} | this connector |`]
  })
  return [
    "| Environment variable | config.yml | Default | Meaning | Defined by |",
    "| --- | --- | --- | --- | --- |",
    ...rows
  ].join("\n")
}

const quoteYaml = (value: string) => `'${value.replace(/'/g, "''")}'`

export const renderConfigSample = (): string => {
  const lines = [
    "# SpyCloud → OpenCTI connector: config.yml",
    "# Copy to config.yml (or pass --config PATH). Every key can also be given as the environment variable",
    "# shown in brackets; the environment wins over this file. Commented keys show their default.",
    "# Generated from src/config/Settings.ts by `npm run docs:config`."
  ]
  for (const [section, settings] of Object.entries(SETTINGS)) {
    lines.push("", `${section}:`)
    for (const setting of Object.values(settings) as Array<Setting<unknown>>) {
      const key = setting.path.split(".")[1]!
      lines.push(`  # ${setting.description} [${setting.env}]`)
      const sample = SAMPLE_VALUES[setting.path]
      if (sample !== undefined) lines.push(`  ${key}: ${quoteYaml(sample)}`)
      else if (setting.defaultText !== undefined) lines.push(`  # ${key}: ${quoteYaml(setting.defaultText)}`)
      else lines.push(`  # ${key}:`)
      if (setting.fromFile) {
        lines.push(`  # ${fileVariantText(setting)} [${fileVariant(setting).env}]`, `  # ${key}_file:`)
      }
    }
  }
  return lines.join("\n") + "\n"
}

export const renderComposeFile = (): string => {
  const lines = [
    "# SpyCloud → OpenCTI connector next to an OpenCTI platform.",
    "# Every variable is listed with its default; uncommented ones must be set for your deployment.",
    "# Generated from src/config/Settings.ts by `npm run docs:config`.",
    "services:",
    "  connector-spycloud:",
    `    image: ${MANIFEST.container_image}:${MANIFEST.container_version}`,
    "    build: .",
    "    init: true",
    "    restart: always",
    "    stop_grace_period: 60s",
    "    # Hardened: nothing but /tmp (heartbeat for the health check) and /data (bundles, offline state) is",
    "    # writable, no Linux capabilities, no privilege gain through setuid binaries.",
    "    read_only: true",
    "    tmpfs:",
    "      - /tmp",
    "    cap_drop:",
    "      - ALL",
    "    security_opt:",
    "      - no-new-privileges:true",
    "    environment:"
  ]
  for (const setting of ALL) {
    lines.push(`      # ${setting.description}`)
    const sample = SAMPLE_VALUES[setting.path]
    if (sample !== undefined) lines.push(`      - ${setting.env}=${sample}`)
    else lines.push(`      # - ${setting.env}=${setting.defaultText ?? ""}`)
    if (setting.fromFile) {
      lines.push(
        `      # ${fileVariantText(setting)}`,
        `      # - ${fileVariant(setting).env}=/run/secrets/${secretName(setting)}`
      )
    }
  }
  lines.push(
    "    # Optional: keep bundles (and, offline, the state file) on the host.",
    "    # volumes:",
    "    #   - ./bundles:/data/bundles",
    "    # Optional: secrets from files (Docker secrets) instead of the environment. Replace each",
    `    # ${FROM_FILE.map((setting) => setting.env).join(", ")} above by its *_FILE line, then uncomment`,
    "    # this and the top-level secrets: block below.",
    "    # secrets:",
    ...FROM_FILE.map((setting) => `    #   - ${secretName(setting)}`),
    "    networks:",
    "      - opencti",
    "",
    "# secrets:",
    ...FROM_FILE.flatMap((setting) => [
      `#   ${secretName(setting)}:`,
      `#     file: ./secrets/${secretName(setting)}`
    ]),
    "",
    "networks:",
    "  # The network of your OpenCTI deployment (docker network ls); the connector reaches OpenCTI and RabbitMQ on it.",
    "  opencti:",
    "    external: true",
    "    name: opencti_default"
  )
  return lines.join("\n") + "\n"
}

/**
 * Variables the platform sets itself in a managed deployment, left out of the catalog schema so that its
 * form does not ask for them (as the catalog's own connectors do). The platform also drops OPENCTI_URL,
 * OPENCTI_TOKEN, CONNECTOR_TYPE and CONNECTOR_RUN_AND_TERMINATE from the form; those stay in the schema,
 * which describes every variable the connector reads.
 */
export const PLATFORM_SUPPLIED: ReadonlyArray<string> = ["CONNECTOR_ID"]

/**
 * Optional in the table (offline mode needs no OpenCTI; the API key is checked with the other settings), but
 * a deployment from the catalog always has them.
 */
const CATALOG_REQUIRED: ReadonlyArray<string> = ["OPENCTI_URL", "OPENCTI_TOKEN", "SPYCLOUD_API_KEY"]

const CATALOG_SETTINGS = ALL.filter((setting) => !PLATFORM_SUPPLIED.includes(setting.env))

const isCatalogRequired = (setting: Setting<unknown>) => setting.required || CATALOG_REQUIRED.includes(setting.env)

/** The JSON value of a default text, of the type the catalog schema gives the variable. */
const jsonDefault = (text: string, json: Readonly<Record<string, unknown>>): unknown => {
  switch (json.type) {
    case "boolean":
      return text === "true"
    case "integer":
    case "number":
      return Number(text)
    case "array": {
      const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "")
      return (json.items as { type: string }).type === "integer" ? items.map(Number) : items
    }
    default:
      return text
  }
}

const propertyOf = (setting: Setting<unknown>): Record<string, unknown> => {
  const json = setting.secret ? { type: "string", format: "password", writeOnly: true } : catalogJson(setting.schema)
  if (json === undefined) throw new Error(`${setting.env}: its schema has no catalog description (CatalogJson)`)
  return {
    description: setting.description,
    ...json,
    ...(setting.defaultText === undefined ? {} : { default: jsonDefault(setting.defaultText, json) })
  }
}

/** `__metadata__/connector_config_schema.json`: the form the OpenCTI catalog draws, and what it validates. */
export const configSchema = () => ({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: `${MANIFEST.source_code}/blob/main/__metadata__/connector_config_schema.json`,
  type: "object",
  properties: Object.fromEntries(
    CATALOG_SETTINGS.flatMap((setting) => [
      [setting.env, propertyOf(setting)],
      ...(setting.fromFile
        ? [[fileVariant(setting).env, { description: fileVariantText(setting), type: "string" }]]
        : [])
    ])
  ),
  required: CATALOG_SETTINGS.filter(isCatalogRequired).map((setting) => setting.env),
  additionalProperties: true
})

export const renderConfigSchema = (): string => JSON.stringify(configSchema(), null, 2) + "\n"

const FORMATS_LINK = "https://json-schema.org/understanding-json-schema/reference/string#built-in-formats"

const possibleValues = (property: Readonly<Record<string, unknown>>): string => {
  if (property.const !== undefined) return `\`${String(property.const)}\``
  if (Array.isArray(property.enum)) return property.enum.map((value) => `\`${String(value)}\``).join(" ")
  if (typeof property.format === "string") return `Format: [\`${property.format}\`](${FORMATS_LINK})`
  if (property.type === "array") return possibleValues(property.items as Record<string, unknown>)
  const bounds = [
    typeof property.minimum === "number" ? `≥ ${property.minimum}` : undefined,
    typeof property.maximum === "number" ? `≤ ${property.maximum}` : undefined
  ].filter((bound) => bound !== undefined)
  return bounds.length > 0 ? `${String(property.type)} ${bounds.join(", ")}` : String(property.type)
}

/** `__metadata__/CONNECTOR_CONFIG_DOC.md`: the catalog schema as a table, required variables first. */
export const renderConfigDoc = (): string => {
  const schema = configSchema()
  const entries = Object.entries(schema.properties) as Array<[string, Record<string, unknown>]>
  const ordered = [
    ...entries.filter(([name]) => schema.required.includes(name)),
    ...entries.filter(([name]) => !schema.required.includes(name))
  ]
  const rows = ordered.map(([name, property]) =>
    `| ${name} | \`${property.const === undefined ? String(property.type) : "const"}\` | ${
      schema.required.includes(name) ? "✅" : ""
    } | ${possibleValues(property)} | ${
      property.default === undefined ? "" : `\`${JSON.stringify(property.default)}\``
    } | ${String(property.description).replace(/\|/g, "\\|")} |`
  )
  return [
    "# Connector Configurations",
    "",
    "Every environment variable the connector reads in a deployment from the OpenCTI catalog, generated from the",
    "settings table by `npm run docs:config` (the README's configuration section has the same table with the",
    "`config.yml` keys). The platform sets " + PLATFORM_SUPPLIED.join(", ") + " itself.",
    "",
    "### Type: `object`",
    "",
    "| Property | Type | Required | Possible values | Default | Description |",
    "| -------- | ---- | -------- | --------------- | ------- | ----------- |",
    ...rows
  ].join("\n") + "\n"
}

export const README_START = "<!-- config-table:start -->"
export const README_END = "<!-- config-table:end -->"

export const withReadmeTable = (readme: string): string => {
  const start = readme.indexOf(README_START)
  const end = readme.indexOf(README_END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section`)
  return `${readme.slice(0, start + README_START.length)}\n${renderReadmeTable()}\n${readme.slice(end)}`
}

export const GENERATED_FILES = {
  "config.yml.sample": () => renderConfigSample(),
  "docker-compose.yml": () => renderComposeFile(),
  "README.md": () => withReadmeTable(readFileSync(resolve(ROOT, "README.md"), "utf8")),
  "__metadata__/connector_config_schema.json": () => renderConfigSchema(),
  "__metadata__/CONNECTOR_CONFIG_DOC.md": () => renderConfigDoc()
} as const

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, render] of Object.entries(GENERATED_FILES)) {
    writeFileSync(resolve(ROOT, file), render())
    process.stdout.write(`wrote ${file}\n`)
  }
}
