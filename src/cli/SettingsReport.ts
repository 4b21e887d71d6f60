/** The resolved configuration as readable text, with every secret shown as `<redacted>`. */
import { DateTime, Duration, Option, Redacted } from "effect"
import type { Settings } from "../config/ConnectorConfig.js"
import { toIsoDuration } from "../config/IsoDuration.js"
import type { Setting } from "../config/Setting.js"
import { SETTINGS } from "../config/Settings.js"
import { redactCredentials } from "../stix/SecretText.js"

const show = (value: unknown): string => {
  if (Option.isOption(value)) return Option.match(value, { onNone: () => "(not set)", onSome: show })
  if (Redacted.isRedacted(value)) return "<redacted>"
  if (Duration.isDuration(value)) return toIsoDuration(value)
  if (DateTime.isDateTime(value)) return DateTime.formatIso(value)
  if (Array.isArray(value)) return value.length === 0 ? "(all)" : value.join(",")
  // A URL's `user:password@` or `?token=` is a secret too, whatever setting holds it.
  return redactCredentials(String(value))
}

export interface SettingRow {
  readonly env: string
  readonly path: string
  readonly value: string
  readonly fromDefault: boolean
}

/** One row per setting; `given` says which settings were given explicitly (not defaulted). */
export const settingRows = (settings: Settings, given: (setting: Setting<unknown>) => boolean): Array<SettingRow> =>
  Object.entries(SETTINGS).flatMap(([sectionName, section]) =>
    Object.entries(section).map(([name, setting]: [string, Setting<unknown>]) => ({
      env: setting.env,
      path: setting.path,
      value: show((settings as any)[sectionName][name]),
      fromDefault: !given(setting) && setting.defaultText !== undefined
    }))
  )

export const formatRows = (rows: ReadonlyArray<SettingRow>): string => {
  const width = Math.max(...rows.map((row) => `${row.env} (${row.path})`.length))
  return rows
    .map((row) => `  ${`${row.env} (${row.path})`.padEnd(width)}  ${row.value}${row.fromDefault ? "  [default]" : ""}`)
    .join("\n")
}
