/**
 * The OpenCTI side assembled from the configuration, for `run`, `once` and `check`:
 * - `layer`: the client and this process's registration (health check retried while the platform starts),
 *   and the pass's recovery notes that the sinks, the state and the works share;
 * - `sinkLayer`: the bundle sink CONNECTOR_QUEUE_PROTOCOL chooses (RabbitMQ or the API);
 * - `OpenCtiState.layer`, `OpenCtiWorkTracker.layer` and `ConnectorInfo.layer` complete the picture.
 */
import { Effect, Layer, type Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import type { BundleSink } from "../importer/BundleSink.js"
import * as AmqpSink from "./AmqpSink.js"
import * as ApiSink from "./ApiSink.js"
import * as OpenCtiClient from "./OpenCtiClient.js"
import type { OpenCtiError } from "./OpenCtiError.js"
import * as Recoveries from "./Recoveries.js"
import * as Registration from "./Registration.js"

export const layer = (
  startupRetry?: Schedule.Schedule<unknown>
): Layer.Layer<
  OpenCtiClient.OpenCtiClient | Registration.OpenCtiRegistration | Recoveries.Recoveries,
  OpenCtiError,
  ConnectorConfig
> =>
  Registration.layer(startupRetry).pipe(
    Layer.provideMerge(OpenCtiClient.layerConfig),
    Layer.merge(Recoveries.layer)
  )

export const sinkLayer: Layer.Layer<
  BundleSink,
  never,
  Registration.OpenCtiRegistration | OpenCtiClient.OpenCtiClient | ConnectorConfig | Recoveries.Recoveries
> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig, (settings) => settings.connector.queueProtocol === "api" ? ApiSink.layer : AmqpSink.layer)
)
