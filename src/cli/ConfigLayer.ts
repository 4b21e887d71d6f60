/** The configuration and logging every command starts from, and how a command's failure is reported. */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect, Layer, type Option } from "effect"
import type { ConfigInvalid } from "../config/ConfigInvalid.js"
import * as ConfigSource from "../config/ConfigSource.js"
import * as ConnectorConfig from "../config/ConnectorConfig.js"
import * as Logging from "../telemetry/Logging.js"
import { CommandFailed, ExitCode, isCommandFailed } from "./CommandFailed.js"

export interface CommandEnvironment {
  /** `--config` as given on the command line. */
  readonly configPath: Option.Option<string>
  /** The process environment (read once at the edge). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Config source + decoded configuration, both visible to what is built on top. */
export const configLayer = (
  environment: CommandEnvironment
): Layer.Layer<ConfigSource.ConfigSource | ConnectorConfig.ConnectorConfig, ConfigInvalid, FileSystem.FileSystem> =>
  ConnectorConfig.layer.pipe(
    Layer.provideMerge(ConfigSource.layer({ path: environment.configPath, env: environment.env }))
  )

/** Logging as configured (JSON or text, level, connector name). */
const loggingLayer: Layer.Layer<never, never, ConnectorConfig.ConnectorConfig> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig.ConnectorConfig, (settings) =>
    Logging.layer({
      name: settings.connector.name,
      json: settings.opencti.jsonLogging,
      level: settings.connector.logLevel
    }))
)

/** What every command starts from: the configuration, where it came from, and logging as configured. */
export const configuredLayer = (environment: CommandEnvironment) =>
  loggingLayer.pipe(Layer.provideMerge(Layer.fresh(configLayer(environment))))

/** Prints a configuration error and turns it into exit code 2. */
export const reportConfigInvalid = <A, R>(
  effect: Effect.Effect<A, ConfigInvalid | CommandFailed, R>
): Effect.Effect<A, CommandFailed, R> =>
  Effect.catchTag(effect, "ConfigInvalid", (error) =>
    Console.error(error.message).pipe(
      Effect.zipRight(new CommandFailed({ exitCode: ExitCode.config, reason: "invalid configuration" }))
    ))

/** Prints a runtime failure as one line and turns it into exit code 1; a `CommandFailed` was reported already. */
export const reportFailure =
  <A, E extends { readonly message: string }, R>(what: string) =>
  (effect: Effect.Effect<A, E | CommandFailed, R>): Effect.Effect<A, CommandFailed, R> =>
    Effect.catchIf(effect, (error): error is E => !isCommandFailed(error), (error) => {
      const reason = `${what} failed: ${error.message}`
      return Effect.zipRight(
        Effect.logError(reason),
        Effect.zipRight(Console.error(reason), new CommandFailed({ exitCode: ExitCode.failure, reason }))
      )
    })
