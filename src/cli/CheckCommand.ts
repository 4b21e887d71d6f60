/**
 * `check`: validate the configuration and print it with secrets redacted, then probe the services the
 * connector depends on. Exits non-zero when anything fails.
 */
import { Console, Effect, Option } from "effect"
import { ConfigSource } from "../config/ConfigSource.js"
import { ConnectorConfig, isOffline, readText, transportWarnings } from "../config/ConnectorConfig.js"
import type { Setting } from "../config/Setting.js"
import { SETTINGS } from "../config/Settings.js"
import { formatRows, settingRows } from "./SettingsReport.js"

const ALL_SETTINGS: ReadonlyArray<Setting<unknown>> = Object.values(SETTINGS).flatMap((section) =>
  Object.values(section)
)

/** Prints the resolved configuration: where it came from, every value, defaults marked, secrets redacted. */
export const printConfiguration = Effect.gen(function*() {
  const settings = yield* ConnectorConfig
  const source = yield* ConfigSource
  const given = new Set<string>()
  for (const setting of ALL_SETTINGS) {
    const text = yield* readText(setting).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(text)) given.add(setting.env)
  }
  const origin = Option.match(source.file, {
    onNone: () => "environment only (no config file)",
    onSome: (file) => `environment, then ${file}`
  })
  const mode = isOffline(settings)
    ? "offline (no OpenCTI: bundles to a directory, state in a file)"
    : "OpenCTI"
  yield* Console.log(`Configuration: valid\n  read from: ${origin}\n  mode: ${mode}\n`)
  yield* Console.log(formatRows(settingRows(settings, (setting) => given.has(setting.env))))
  for (const warning of transportWarnings(settings)) yield* Console.log(`\nWarning: ${warning}`)
  if (source.unknownKeys.length > 0) {
    yield* Console.log(`\nKeys in the config file that this connector does not read: ${source.unknownKeys.join(", ")}`)
  }
})
