/**
 * The OpenCTI side assembled from the configuration, for `run`, `once` and `check`:
 * - `layer`: the client and this process's registration (health check retried while the platform starts);
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
import * as Registration from "./Registration.js"

export const layer = (
  startupRetry?: Schedule.Schedule<unknown>
): Layer.Layer<OpenCtiClient.OpenCtiClient | Registration.OpenCtiRegistration, OpenCtiError, ConnectorConfig> =>
  Registration.layer(startupRetry).pipe(Layer.provideMerge(OpenCtiClient.layerConfig))

export const sinkLayer: Layer.Layer<
  BundleSink,
  never,
  Registration.OpenCtiRegistration | OpenCtiClient.OpenCtiClient | ConnectorConfig
> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig, (settings) => settings.connector.queueProtocol === "api" ? ApiSink.layer : AmqpSink.layer)
)
