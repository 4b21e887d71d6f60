/**
 * Where configuration text comes from: the environment first, then `config.yml`, as pycti's
 * `get_config_variable` does. Both become one `ConfigProvider` so that services read `Config` values and
 * tests swap the provider through a layer.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { ConfigProvider, Context, Effect, Layer, Option } from "effect"
import * as YAML from "yaml"
import { ConfigInvalid } from "./ConfigInvalid.js"
import { fileVariant } from "./Setting.js"
import { SETTINGS } from "./Settings.js"

/** What was read besides the values: the file (if any) and keys in it that the connector does not know. */
export class ConfigSource extends Context.Tag("connector/ConfigSource")<ConfigSource, {
  readonly file: Option.Option<string>
  readonly unknownKeys: ReadonlyArray<string>
}>() {}

/**
 * Where and why YAML parsing failed, without the excerpt of the file the parser quotes (the file holds
 * tokens and keys).
 */
const yamlErrorText = (error: unknown): string => {
  const { code, linePos } = error as { code?: unknown; linePos?: ReadonlyArray<{ line: number; col: number }> }
  const at = linePos?.[0]
  const where = at === undefined ? "" : ` at line ${at.line}, column ${at.col}`
  return `${typeof code === "string" ? code : "syntax error"}${where}`
}

/** Flattens a parsed YAML document to `section.key` → text. Lists become comma lists; empty values are unset. */
export const flattenYaml = (document: unknown): Map<string, string> => {
  const entries = new Map<string, string>()
  const visit = (value: unknown, path: string) => {
    if (value === null || value === undefined) return
    if (Array.isArray(value)) {
      const text = value.map(String).join(",")
      if (text !== "") entries.set(path, text)
    } else if (typeof value === "object" && !(value instanceof Date)) {
      for (const [key, child] of Object.entries(value)) visit(child, path === "" ? key : `${path}.${key}`)
    } else {
      const text = value instanceof Date ? value.toISOString() : String(value)
      if (text.trim() !== "") entries.set(path, text)
    }
  }
  visit(document, "")
  return entries
}

const KNOWN_PATHS = new Set(
  Object.values(SETTINGS).flatMap((section) =>
    Object.values(section).flatMap((s) => s.fromFile ? [s.path, fileVariant(s).path] : [s.path])
  )
)

/** Keys of config.yml that no setting reads (typos, or pycti options this connector has no use for). */
export const unknownKeys = (yaml: Map<string, string>): ReadonlyArray<string> =>
  [...yaml.keys()].filter((key) => !KNOWN_PATHS.has(key)).sort()

/**
 * The provider for the given environment and YAML document. Empty environment values count as unset
 * (pycti does the same), so they fall through to config.yml and then to the default.
 */
export const makeConfigProvider = (
  env: Readonly<Record<string, string | undefined>>,
  yaml: Map<string, string>
): ConfigProvider.ConfigProvider => {
  const envEntries = new Map<string, string>()
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") envEntries.set(name, value)
  }
  const fromEnv = ConfigProvider.fromMap(envEntries, { pathDelim: "_" }).pipe(
    ConfigProvider.mapInputPath((segment) => segment.toUpperCase())
  )
  return fromEnv.pipe(ConfigProvider.orElse(() => ConfigProvider.fromMap(yaml, { pathDelim: "." })))
}

const readYaml = (path: string, explicit: boolean) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))
    if (!exists) {
      if (!explicit) return Option.none<{ path: string; entries: Map<string, string> }>()
      return yield* new ConfigInvalid({
        problems: [{ subject: `--config ${path}`, message: "the file does not exist" }]
      })
    }
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) =>
        new ConfigInvalid({ problems: [{ subject: `--config ${path}`, message: `cannot be read: ${error.message}` }] })
      )
    )
    const document = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (error) =>
        new ConfigInvalid({
          problems: [{ subject: `--config ${path}`, message: `is not valid YAML: ${yamlErrorText(error)}` }]
        })
    })
    if (document !== null && document !== undefined && (typeof document !== "object" || Array.isArray(document))) {
      return yield* new ConfigInvalid({
        problems: [{
          subject: `--config ${path}`,
          message: "must be a YAML mapping of sections (opencti, connector, ...)"
        }]
      })
    }
    return Option.some({ path, entries: flattenYaml(document) })
  })

export const DEFAULT_CONFIG_FILE = "config.yml"

/**
 * Reads `config.yml` (the given path, or `./config.yml` when it exists) and installs the env-over-file
 * provider for everything built on top of this layer.
 */
export const layer = (options: {
  readonly path: Option.Option<string>
  readonly env: Readonly<Record<string, string | undefined>>
}): Layer.Layer<ConfigSource, ConfigInvalid, FileSystem.FileSystem> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const file = yield* readYaml(
        Option.getOrElse(options.path, () => DEFAULT_CONFIG_FILE),
        Option.isSome(options.path)
      )
      const yaml = Option.match(file, { onNone: () => new Map<string, string>(), onSome: (f) => f.entries })
      return Layer.merge(
        Layer.setConfigProvider(makeConfigProvider(options.env, yaml)),
        Layer.succeed(ConfigSource, {
          file: Option.map(file, (f) => f.path),
          unknownKeys: unknownKeys(yaml)
        })
      )
    })
  )
