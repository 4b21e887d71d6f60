/**
 * One configuration variable: where it is read (environment name and `config.yml` path), how its text is
 * decoded, its default and its meaning. The list of all of them (`Settings.ts`) drives decoding, the
 * configuration report, `check`, and the documentation tests.
 */
import { Option, type Schema } from "effect"

export type Origin = "pycti" | "spycloud" | "ours"

export interface Setting<Out> {
  /** Path in config.yml, `section.key` (e.g. `connector.duration_period`). */
  readonly path: string
  /** Environment variable name, `SECTION_KEY` in upper case (e.g. `CONNECTOR_DURATION_PERIOD`). */
  readonly env: string
  readonly description: string
  /** The default, as text, exactly as it would be written in config.yml; undefined when there is none. */
  readonly defaultText: string | undefined
  readonly required: boolean
  /** Secrets are read as `Redacted` and their text never appears in messages. */
  readonly secret: boolean
  /**
   * Whether `<ENV>_FILE` (`<path>_file` in config.yml) may name a file holding the value instead, for Docker
   * and Kubernetes secrets.
   */
  readonly fromFile: boolean
  /** Who defines the variable: pycti's helper, the official SpyCloud connector, or this connector. */
  readonly origin: Origin
  readonly schema: Schema.Schema<any, string>
  /** Wraps the decoded value (Option when there is no default, Redacted for secrets). */
  readonly wrap: (value: Option.Option<unknown>) => Out
}

interface Options<A> {
  readonly path: string
  readonly schema: Schema.Schema<A, string>
  readonly description: string
  readonly origin: Origin
}

const envName = (path: string) => path.replace(".", "_").toUpperCase()

const make = <Out>(
  options: Options<any>,
  extra: Pick<Setting<Out>, "defaultText" | "required" | "secret" | "wrap"> & { readonly fromFile?: boolean }
): Setting<Out> => ({ ...options, env: envName(options.path), fromFile: false, ...extra })

/** The variable and config.yml key that name the file holding a `fromFile` setting's value. */
export const fileVariant = (setting: Pick<Setting<unknown>, "env" | "path">) => ({
  env: `${setting.env}_FILE`,
  path: `${setting.path}_file`
})

/** A variable with a default: always has a value. */
export const withDefault = <A>(options: Options<A> & { readonly default: string }): Setting<A> =>
  make(options, {
    defaultText: options.default,
    required: false,
    secret: false,
    wrap: (value) => Option.getOrThrow(value) as A
  })

/** A variable that must be set (the configuration is rejected without it). */
export const required = <A>(options: Options<A>): Setting<A> =>
  make(options, {
    defaultText: undefined,
    required: true,
    secret: false,
    wrap: (value) => Option.getOrThrow(value) as A
  })

/** A variable that may be absent. */
export const optional = <A>(options: Options<A>): Setting<Option.Option<A>> =>
  make(options, { defaultText: undefined, required: false, secret: false, wrap: (value) => value as Option.Option<A> })

/**
 * A secret that may be absent; whether it is needed depends on other settings. `fromFile`: it may also be
 * read from the file that `<ENV>_FILE` names.
 */
export const secret = <A>(options: Options<A> & { readonly fromFile?: boolean }): Setting<Option.Option<A>> =>
  make(options, {
    defaultText: undefined,
    required: false,
    secret: true,
    fromFile: options.fromFile ?? false,
    wrap: (value) => value as Option.Option<A>
  })

export type SettingValue<S> = S extends Setting<infer Out> ? Out : never
