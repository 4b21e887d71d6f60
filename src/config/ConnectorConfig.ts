/**
 * The decoded configuration as a service. `load` reads every setting from the ambient `ConfigProvider`,
 * decodes it with its `Schema`, checks the rules that involve several settings, and reports all
 * problems together.
 */
import { Config, Context, Effect, Either, Layer, Option, ParseResult, Redacted, Schema } from "effect"
import { readFileSync } from "node:fs"
import { registerSecrets } from "../lib/SecretScrubber.js"
import { ConfigInvalid, type ConfigProblem } from "./ConfigInvalid.js"
import { fileVariant, type Setting, type SettingValue } from "./Setting.js"
import { SETTINGS, type SettingsTable } from "./Settings.js"

export type Settings = {
  readonly [S in keyof SettingsTable]: { readonly [K in keyof SettingsTable[S]]: SettingValue<SettingsTable[S][K]> }
}

export class ConnectorConfig extends Context.Tag("connector/ConnectorConfig")<ConnectorConfig, Settings>() {}

export const subjectOf = (setting: Pick<Setting<unknown>, "env" | "path">) => `${setting.env} (${setting.path})`

/** The text given for a setting (environment, then config.yml), without its default. */
export const readText = (setting: Pick<Setting<unknown>, "path">) => {
  const [section, key] = setting.path.split(".") as [string, string]
  return Config.string(key).pipe(
    Config.nested(section),
    Config.option,
    Config.map(Option.filter((text) => text.trim() !== ""))
  )
}

const decodeMessage = (setting: Setting<unknown>, error: ParseResult.ParseError): string => {
  if (setting.secret) return "is not valid (value hidden)"
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return first?.message ?? "is not valid"
}

type Partial2<T> = { readonly [S in keyof T]: Partial<T[S]> }

/**
 * Rules across settings: offline mode (docs/opencti-protocol.md, "Offline mode"), what OpenCTI needs, where
 * bundles go. Works on the settings that decoded, so these problems are reported together with the others; a rule
 * whose inputs did not decode is skipped.
 */
const crossProblems = (settings: Partial2<Settings>): Array<ConfigProblem> => {
  const { connector, opencti, spycloud } = settings
  const problems: Array<ConfigProblem> = []
  const need = (setting: Setting<unknown>, message: string) => problems.push({ subject: subjectOf(setting), message })
  const isPlaceholder = (value: Option.Option<Redacted.Redacted<string>>) =>
    Option.exists(value, (secret) => Redacted.value(secret) === "ChangeMe")

  if (spycloud.apiKey !== undefined) {
    if (Option.isNone(spycloud.apiKey)) need(SETTINGS.spycloud.apiKey, "is required")
    else if (isPlaceholder(spycloud.apiKey)) need(SETTINGS.spycloud.apiKey, "is still the placeholder ChangeMe")
  }
  const { sendToDirectory, sendToDirectoryPath, sendToQueue } = connector
  if (opencti.url !== undefined && Option.isSome(opencti.url)) {
    if (opencti.token !== undefined && Option.isNone(opencti.token)) {
      need(SETTINGS.opencti.token, "is required when OPENCTI_URL is set")
    } else if (opencti.token !== undefined && isPlaceholder(opencti.token)) {
      need(SETTINGS.opencti.token, "is still the placeholder ChangeMe")
    }
    if (sendToQueue === false && sendToDirectory === false) {
      need(
        SETTINGS.connector.sendToQueue,
        "is false and CONNECTOR_SEND_TO_DIRECTORY is false too: nothing would be imported"
      )
    }
  } else if (opencti.url !== undefined) {
    if (sendToQueue === true) {
      need(
        SETTINGS.opencti.url,
        "is required unless the connector runs offline; for offline mode set CONNECTOR_SEND_TO_QUEUE=false, " +
          "CONNECTOR_SEND_TO_DIRECTORY=true and CONNECTOR_SEND_TO_DIRECTORY_PATH"
      )
    } else if (sendToQueue === false && sendToDirectory === false) {
      need(
        SETTINGS.connector.sendToDirectory,
        "must be true in offline mode (no OPENCTI_URL and CONNECTOR_SEND_TO_QUEUE=false): bundles have nowhere else to go"
      )
    }
  }
  if (sendToDirectory === true && sendToDirectoryPath !== undefined && Option.isNone(sendToDirectoryPath)) {
    need(SETTINGS.connector.sendToDirectoryPath, "is required when CONNECTOR_SEND_TO_DIRECTORY is true")
  }
  return problems
}

/**
 * The text of a setting: given directly, or (for `fromFile` settings) the content of the file `<ENV>_FILE`
 * names, read here once, its trailing line break dropped. Both at once, or a file that cannot be read, is a
 * problem; its message names the variable and the path, never the content.
 */
const givenText = (setting: Setting<unknown>): Effect.Effect<Either.Either<Option.Option<string>, ConfigProblem>> =>
  Effect.gen(function*() {
    const text = yield* readText(setting).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (!setting.fromFile) return Either.right(text)
    const variant = fileVariant(setting)
    const file = yield* readText(variant).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (Option.isNone(file)) return Either.right(text)
    if (Option.isSome(text)) {
      return Either.left({
        subject: `${subjectOf(setting)} and ${subjectOf(variant)}`,
        message: "are both set; set only one"
      })
    }
    const path = file.value.trim()
    return Either.mapBoth(
      Either.try({
        try: () => readFileSync(path, "utf8").replace(/\r?\n$/, ""),
        catch: (error) => (error as { code?: unknown }).code
      }),
      {
        onLeft: (code): ConfigProblem => ({
          subject: subjectOf(variant),
          message: `names ${path}, which cannot be read${typeof code === "string" ? ` (${code})` : ""}`
        }),
        onRight: (content) => Option.some(content).pipe(Option.filter((value) => value.trim() !== ""))
      }
    )
  })

/** Reads and validates every setting from the current `ConfigProvider`. */
export const load: Effect.Effect<Settings, ConfigInvalid> = Effect.gen(function*() {
  const problems: Array<ConfigProblem> = []
  const decoded: Record<string, Record<string, unknown>> = {}
  for (const [sectionName, section] of Object.entries(SETTINGS)) {
    const values: Record<string, unknown> = {}
    decoded[sectionName] = values
    for (const [name, setting] of Object.entries(section) as Array<[string, Setting<unknown>]>) {
      const given = yield* givenText(setting)
      if (Either.isLeft(given)) {
        problems.push(given.left)
        continue
      }
      const text = given.right
      const effective = Option.orElse(text, () => Option.fromNullable(setting.defaultText))
      if (Option.isNone(effective)) {
        if (setting.required) problems.push({ subject: subjectOf(setting), message: "is required" })
        else values[name] = setting.wrap(Option.none())
        continue
      }
      const result = yield* Effect.either(Schema.decode(setting.schema)(effective.value))
      if (Either.isLeft(result)) {
        problems.push({ subject: subjectOf(setting), message: decodeMessage(setting, result.left) })
      } else values[name] = setting.wrap(Option.some(result.right))
    }
  }
  problems.push(...crossProblems(decoded as unknown as Partial2<Settings>))
  registerSecrets(...secretsOf(decoded))
  if (problems.length > 0) return yield* new ConfigInvalid({ problems })
  return decoded as unknown as Settings
})

/** The password of a URL's `user:password@`, if it has one. */
const urlPassword = (text: unknown): string | undefined => {
  try {
    return typeof text === "string" ? decodeURIComponent(new URL(text).password) || undefined : undefined
  } catch {
    return undefined
  }
}

/**
 * Every secret value the settings hold, to be scrubbed from any output: the secret settings, each custom
 * header's value, and passwords written into URLs.
 */
const secretsOf = (decoded: Record<string, Record<string, unknown>>): Array<string> => {
  const found: Array<string> = []
  for (const section of Object.values(decoded)) {
    for (const value of Object.values(section)) {
      const inner = Option.isOption(value) ? Option.getOrUndefined(value) : value
      if (Redacted.isRedacted(inner)) {
        const text = Redacted.value(inner)
        if (typeof text === "string") {
          found.push(text)
          for (const pair of text.split(";")) found.push(pair.slice(pair.indexOf(":") + 1).trim())
        }
      } else {
        const password = urlPassword(inner)
        if (password !== undefined) found.push(password)
      }
    }
  }
  return found
}

/** The configuration service, read from whatever `ConfigProvider` the layer is built under. */
export const layer: Layer.Layer<ConnectorConfig, ConfigInvalid> = Layer.effect(ConnectorConfig, load)

/**
 * Settings that work but expose a secret on the wire, one sentence each: logged at start by every command
 * and printed by `check`.
 */
export const transportWarnings = (settings: Settings): ReadonlyArray<string> =>
  settings.spycloud.apiBaseUrl.toLowerCase().startsWith("http://")
    ? [
      `${subjectOf(SETTINGS.spycloud.apiBaseUrl)} uses http://: the SpyCloud API key is sent unencrypted; ` +
      "use https://"
    ]
    : []

/** True when the connector runs without OpenCTI: bundles to a directory, state in a file. */
export const isOffline = (settings: Settings): boolean => Option.isNone(settings.opencti.url)

export const STATE_FILE_NAME = ".spycloud-connector-state.json"
