/** The command tree of the `spycloud-connector` binary. */
import { Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import { printConfiguration } from "./CheckCommand.js"
import { type CommandEnvironment, configLayer, reportConfigInvalid } from "./ConfigLayer.js"

const configOption = Options.file("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("Path of config.yml (default: ./config.yml when it exists). Environment variables win."),
  Options.optional
)

export const makeCli = (options: { readonly env: CommandEnvironment["env"]; readonly version: string }) => {
  const root = Command.make("spycloud-connector", { config: configOption }).pipe(
    Command.withDescription(
      "Imports SpyCloud breach records into OpenCTI as incidents with their observables. " +
        "Commands: run (the service), once (one pass), check (validate and probe)."
    )
  )

  /** `--config` may be given before or after the command name; the command's own wins. */
  const environment = (own: Option.Option<string>) =>
    Effect.map(root, (parent): CommandEnvironment => ({
      configPath: Option.orElse(own, () => parent.config),
      env: options.env
    }))

  const check = Command.make("check", { config: configOption }, ({ config }) =>
    Effect.gen(function*() {
      const env = yield* environment(config)
      yield* reportConfigInvalid(printConfiguration.pipe(Effect.provide(Layer.fresh(configLayer(env)))))
    })).pipe(
      Command.withDescription(
        "Validate the configuration and print it with every secret redacted, then probe SpyCloud, OpenCTI and " +
          "RabbitMQ. Exits 0 when everything is usable, 2 on a configuration error, 1 when a service fails."
      )
    )

  return Command.run(root.pipe(Command.withSubcommands([check])), {
    name: "spycloud-connector",
    version: options.version
  })
}
