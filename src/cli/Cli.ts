/** The command tree of the `spycloud-connector` binary. */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option, Schedule } from "effect"
import type { ConfigSource } from "../config/ConfigSource.js"
import { ConnectorConfig, isOffline, type Settings, transportWarnings } from "../config/ConnectorConfig.js"
import { summaryText } from "../importer/PassStats.js"
import { isRunAndTerminate, runAndTerminate, runForever } from "../importer/Scheduler.js"
import * as OpenCti from "../opencti/OpenCti.js"
import { probeOpenCti, probeRabbitMq } from "../opencti/Probes.js"
import { SpycloudClient } from "../spycloud/SpycloudClient.js"
import { printConfiguration } from "./CheckCommand.js"
import { CommandFailed, ExitCode } from "./CommandFailed.js"
import { type CommandEnvironment, configuredLayer, reportConfigInvalid, reportFailure } from "./ConfigLayer.js"
import { printOutcomes, probe, type ProbeOutcome } from "./Probes.js"
import { checkLayer, oncePassLayer, serviceLayer } from "./Wiring.js"

const configOption = Options.file("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("Path of config.yml (default: ./config.yml when it exists). Environment variables win."),
  Options.optional
)

/** One pass and the final ping; prints what the pass did. */
const singlePass = runAndTerminate.pipe(
  Effect.flatMap(Option.match({
    onNone: () => Console.log("SpyCloud import pass skipped: the OpenCTI push queue is over CONNECTOR_QUEUE_THRESHOLD"),
    onSome: (summary) => Console.log(`SpyCloud import pass finished\n${summaryText(summary)}`)
  }))
)

/**
 * OpenCTI (health check and registration, without waiting for the platform to come up; registering is
 * idempotent), then the RabbitMQ the registration names, when bundles go through it.
 */
const probePlatform = (settings: ConnectorConfig["Type"]) => {
  const viaRabbitMq = settings.connector.sendToQueue && settings.connector.queueProtocol === "amqp"
  return Effect.scoped(Effect.gen(function*() {
    const platform = yield* Layer.build(OpenCti.layer(Schedule.stop))
    const outcomes: Array<ProbeOutcome> = [
      yield* probe(
        "OpenCTI",
        probeOpenCti.pipe(
          Effect.map(({ endpoint, version }) => `${endpoint} answers (OpenCTI ${version}); the token is accepted`),
          Effect.provide(platform)
        )
      )
    ]
    if (viaRabbitMq) {
      outcomes.push(
        yield* probe(
          "RabbitMQ",
          probeRabbitMq.pipe(
            Effect.map(({ endpoint, pushQueue, pushQueueMessages }) =>
              `${endpoint} accepts the connector; push queue ${pushQueue} holds ${pushQueueMessages} messages`
            ),
            Effect.provide(platform)
          )
        )
      )
    }
    return outcomes
  })).pipe(
    Effect.provideService(ConnectorConfig, settings),
    Effect.catchAll((error) =>
      Effect.succeed<Array<ProbeOutcome>>([
        { service: "OpenCTI", ok: false, detail: error.message },
        ...(viaRabbitMq
          ? [{ service: "RabbitMQ", ok: false, detail: "not checked: it needs OpenCTI's registration, which failed" }]
          : [])
      ])
    )
  )
}

/** SpyCloud, then (with OpenCTI) the platform and its RabbitMQ, each reported on its own line. */
const probeServices = Effect.gen(function*() {
  const settings = yield* ConnectorConfig
  const outcomes: Array<ProbeOutcome> = [
    yield* probe(
      "SpyCloud",
      Effect.flatMap(SpycloudClient, (client) => client.probe).pipe(
        Effect.as(`${settings.spycloud.apiBaseUrl} accepts the API key from this host`)
      )
    )
  ]
  if (!isOffline(settings)) outcomes.push(...yield* probePlatform(settings))
  yield* printOutcomes(outcomes)
  if (outcomes.some((outcome) => !outcome.ok)) {
    return yield* new CommandFailed({ exitCode: ExitCode.failure, reason: "a service check failed" })
  }
})

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

  /**
   * Configuration (exit 2 when invalid) and logging for a command, then its program on the layer that
   * `wiring` chooses from the configuration (exit 1 on failure). The one place where layers are provided.
   */
  const withConfiguration = <A, E extends { readonly message: string }, R, LE extends { readonly message: string }, LR>(
    own: Option.Option<string>,
    what: string,
    wiring: (settings: Settings) => Layer.Layer<R, LE, LR>,
    program: Effect.Effect<A, E, R | ConnectorConfig | ConfigSource>
  ) =>
    Effect.flatMap(
      environment(own),
      (env) =>
        Effect.flatMap(
          ConnectorConfig,
          (settings) =>
            Effect.forEach(transportWarnings(settings), (warning) => Effect.logWarning(warning)).pipe(
              Effect.zipRight(program.pipe(Effect.provide(wiring(settings)))),
              reportFailure(what)
            )
        )
          .pipe(Effect.provide(configuredLayer(env)), reportConfigInvalid)
    )

  const run = Command.make("run", { config: configOption }, ({ config }) =>
    withConfiguration(
      config,
      "run",
      serviceLayer,
      Effect.flatMap(ConnectorConfig, (settings) => isRunAndTerminate(settings) ? singlePass : runForever)
    )).pipe(
      Command.withDescription(
        "Run the connector: register with OpenCTI, ping it every 40 s, import at once and then every " +
          "CONNECTOR_DURATION_PERIOD after the previous pass ended. Stops cleanly on SIGTERM/SIGINT. " +
          "Offline (no OPENCTI_URL), passes write bundles to the directory and keep the state in a file."
      )
    )

  const once = Command.make(
    "once",
    { config: configOption },
    ({ config }) => withConfiguration(config, "once", oncePassLayer, singlePass)
  )
    .pipe(
      Command.withDescription(
        "Run one import pass, then exit: 0 on success, 1 with a one-line reason on failure " +
          "(the same as CONNECTOR_RUN_AND_TERMINATE=true)."
      )
    )

  const check = Command.make(
    "check",
    { config: configOption },
    ({ config }) => withConfiguration(config, "check", checkLayer, Effect.zipRight(printConfiguration, probeServices))
  ).pipe(
    Command.withDescription(
      "Validate the configuration and print it with every secret redacted, then probe SpyCloud, OpenCTI and " +
        "RabbitMQ. Exits 0 when everything is usable, 2 on a configuration error, 1 when a service fails."
    )
  )

  return Command.run(root.pipe(Command.withSubcommands([run, once, check])), {
    name: "spycloud-connector",
    version: options.version
  })
}
