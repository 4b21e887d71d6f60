/**
 * Where the application is wired: which layers each command runs on, chosen by plain functions of the
 * configuration. Offline (no OPENCTI_URL): directory sink, state in a file, no works. With OpenCTI:
 * registration, state through pings, works, the RabbitMQ or API sink, and the directory sink too when asked.
 * `Cli.ts` provides the chosen layer once per command; nothing else provides application layers.
 */
import { Context, Effect, Layer, Option } from "effect"
import { isOffline, type Settings } from "../config/ConnectorConfig.js"
import { BundleSink } from "../importer/BundleSink.js"
import * as DirectorySink from "../importer/DirectorySink.js"
import { fanOut } from "../importer/FanOutSink.js"
import * as FileState from "../importer/FileState.js"
import * as Importer from "../importer/Importer.js"
import * as NoWorkTracker from "../importer/NoWorkTracker.js"
import * as RunHooks from "../importer/RunHooks.js"
import { isRunAndTerminate } from "../importer/Scheduler.js"
import * as ConnectorInfo from "../opencti/ConnectorInfo.js"
import * as OpenCti from "../opencti/OpenCti.js"
import * as OpenCtiState from "../opencti/OpenCtiState.js"
import * as OpenCtiWorkTracker from "../opencti/OpenCtiWorkTracker.js"
import { paced } from "../opencti/Pacing.js"
import * as PlatformRunHooks from "../opencti/PlatformRunHooks.js"
import { OpenCtiRegistration } from "../opencti/Registration.js"
import * as SpycloudClientLive from "../spycloud/SpycloudClientLive.js"
import * as Heartbeat from "../telemetry/Heartbeat.js"
import * as Prometheus from "../telemetry/Prometheus.js"

/** The SpyCloud client over Node's HTTP stack, configured from `spycloud.*`. */
export const spycloudLayer = SpycloudClientLive.layer.pipe(Layer.provide(SpycloudClientLive.nodeHttpClientLayer))

/** Offline mode (docs/opencti-protocol.md, "Offline mode"): bundles to a directory, state in a JSON file. */
const offlineServices = Layer.mergeAll(DirectorySink.layer, FileState.layer, NoWorkTracker.layer, RunHooks.offlineLayer)

/**
 * With OpenCTI: the queue sink (RabbitMQ or API) and/or the directory sink, which records the applicant; bundles
 * wait while the push queue is over the threshold (`opencti/Pacing.ts`).
 */
const platformSink = (settings: Settings) =>
  Layer.scoped(
    BundleSink,
    Effect.gen(function*() {
      const registration = yield* OpenCtiRegistration
      const sinks = []
      if (settings.connector.sendToDirectory) {
        sinks.push(
          yield* DirectorySink.make({
            directory: Option.getOrElse(settings.connector.sendToDirectoryPath, () => "."),
            connector: { id: settings.connector.id, name: settings.connector.name, scope: settings.connector.scope },
            applicantId: Option.fromNullable(registration.connectorUserId),
            retentionDays: settings.connector.sendToDirectoryRetention
          })
        )
      }
      if (settings.connector.sendToQueue) {
        // Built in this layer's scope: the RabbitMQ connection must live (and be closed) with the app, not
        // with this constructor, or it is never closed and keeps the process from exiting.
        sinks.push(Context.get(yield* Layer.build(OpenCti.sinkLayer), BundleSink))
      }
      // Paced as a whole: with the directory sink too, a bundle goes nowhere while the push queue is full.
      return settings.connector.sendToQueue ? yield* paced(fanOut(sinks)) : fanOut(sinks)
    })
  )

/**
 * OpenCTI mode. `runAndTerminate` follows pycti: no background ping (the command pings once at the end),
 * and connector_info says so.
 */
const platformServices = (settings: Settings, runAndTerminate: boolean) =>
  Layer.mergeAll(
    platformSink(settings),
    settings.connector.sendToQueue ? OpenCtiWorkTracker.layer : NoWorkTracker.layer,
    PlatformRunHooks.layer
  ).pipe(
    Layer.provideMerge(OpenCtiState.layer({ background: !runAndTerminate })),
    Layer.provideMerge(ConnectorInfo.layer({ queueThreshold: settings.connector.queueThreshold, runAndTerminate })),
    Layer.provideMerge(OpenCti.layer())
  )

/** Everything one pass needs, for the configured mode, with the importer on top. */
export const passLayer = (settings: Settings, options: { readonly runAndTerminate: boolean }) =>
  Importer.layer.pipe(
    Layer.provideMerge(
      Layer.merge(
        isOffline(settings) ? offlineServices : platformServices(settings, options.runAndTerminate),
        spycloudLayer
      )
    )
  )

/** `once`, and `run` with CONNECTOR_RUN_AND_TERMINATE: one pass, then the final ping. */
export const oncePassLayer = (settings: Settings) => passLayer(settings, { runAndTerminate: true })

/** `run`: passes on the schedule, with the metrics endpoint and the heartbeat file of the health check. */
export const serviceLayer = (settings: Settings) =>
  isRunAndTerminate(settings)
    ? oncePassLayer(settings)
    : Layer.mergeAll(passLayer(settings, { runAndTerminate: false }), Prometheus.layer, Heartbeat.layer())

/**
 * `check`: only SpyCloud is wired up front. The platform is built inside its probe, where a failed
 * registration is a reported outcome rather than a failed command.
 */
export const checkLayer = (_settings: Settings) => spycloudLayer
