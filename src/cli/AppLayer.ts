/**
 * The layers a command runs on, chosen from the configuration: offline (directory sink, state file, no
 * works) or with OpenCTI (registration, state through pings, works, RabbitMQ or API sink, and the
 * directory sink too when asked). Built once per command at the edge.
 */
import { Context, Effect, Layer, Option } from "effect"
import { ConnectorConfig, isOffline } from "../config/ConnectorConfig.js"
import { BundleSink } from "../importer/BundleSink.js"
import * as DirectorySink from "../importer/DirectorySink.js"
import { fanOut } from "../importer/FanOutSink.js"
import * as FileState from "../importer/FileState.js"
import * as Importer from "../importer/Importer.js"
import * as NoWorkTracker from "../importer/NoWorkTracker.js"
import * as RunHooks from "../importer/RunHooks.js"
import * as ConnectorInfo from "../opencti/ConnectorInfo.js"
import * as OpenCti from "../opencti/OpenCti.js"
import * as OpenCtiState from "../opencti/OpenCtiState.js"
import * as OpenCtiWorkTracker from "../opencti/OpenCtiWorkTracker.js"
import * as PlatformRunHooks from "../opencti/PlatformRunHooks.js"
import { OpenCtiRegistration } from "../opencti/Registration.js"
import * as SpycloudClientLive from "../spycloud/SpycloudClientLive.js"

/** The SpyCloud client over Node's HTTP stack, configured from `spycloud.*`. */
export const spycloudLayer = SpycloudClientLive.layer.pipe(Layer.provide(SpycloudClientLive.nodeHttpClientLayer))

/** Offline mode (docs/opencti-protocol.md, "Offline mode"): bundles to a directory, state in a JSON file, no works. */
const offlineServices = Layer.mergeAll(DirectorySink.layer, FileState.layer, NoWorkTracker.layer, RunHooks.offlineLayer)

/** With OpenCTI: the queue sink (RabbitMQ or API) and/or the directory sink, which records the applicant. */
const platformSink = Layer.scoped(
  BundleSink,
  Effect.gen(function*() {
    const settings = yield* ConnectorConfig
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
    return fanOut(sinks)
  })
)

/**
 * OpenCTI mode. `runAndTerminate` follows pycti: no background ping (the command pings once at the end),
 * and connector_info says so.
 */
const platformServices = (runAndTerminate: boolean) =>
  Layer.unwrapEffect(Effect.map(ConnectorConfig, (settings) => {
    const info = ConnectorInfo.layer({ queueThreshold: settings.connector.queueThreshold, runAndTerminate })
    const works = settings.connector.sendToQueue ? OpenCtiWorkTracker.layer : NoWorkTracker.layer
    return Layer.mergeAll(platformSink, works, PlatformRunHooks.layer).pipe(
      Layer.provideMerge(OpenCtiState.layer({ background: !runAndTerminate })),
      Layer.provideMerge(info),
      Layer.provideMerge(OpenCti.layer())
    )
  }))

/** Everything a pass needs, for the configured mode, with the importer on top. */
export const appLayer = (options: { readonly runAndTerminate: boolean }) =>
  Layer.unwrapEffect(Effect.map(ConnectorConfig, (settings) => {
    const services = isOffline(settings) ? offlineServices : platformServices(options.runAndTerminate)
    return Importer.layer.pipe(Layer.provideMerge(Layer.merge(services, spycloudLayer)))
  }))
