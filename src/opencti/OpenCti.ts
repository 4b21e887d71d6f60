/**
 * The OpenCTI side assembled from the configuration, for `run`, `once` and `check`:
 * - `layer`: the client and this process's registration (health check retried while the platform starts);
 *   the client registers again when the platform forgets the connector (`Reregistration.ts`); and the pass's
 *   recovery notes that the sinks, the state and the works share;
 * - `sinkLayer`: the bundle sink CONNECTOR_QUEUE_PROTOCOL chooses (RabbitMQ or the API);
 * - `OpenCtiState.layer`, `OpenCtiWorkTracker.layer` and `ConnectorInfo.layer` complete the picture.
 */
import { Context, Effect, Layer, type Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import type { BundleSink } from "../importer/BundleSink.js"
import * as AmqpSink from "./AmqpSink.js"
import * as ApiSink from "./ApiSink.js"
import * as OpenCtiClient from "./OpenCtiClient.js"
import type { OpenCtiError } from "./OpenCtiError.js"
import * as Recoveries from "./Recoveries.js"
import * as Registration from "./Registration.js"
import * as Reregistration from "./Reregistration.js"

export const layer = (
  startupRetry?: Schedule.Schedule<unknown>
): Layer.Layer<
  | OpenCtiClient.OpenCtiClient
  | Registration.OpenCtiRegistration
  | Reregistration.CurrentRegistration
  | Recoveries.Recoveries,
  OpenCtiError,
  ConnectorConfig
> =>
  Layer.effectContext(Effect.gen(function*() {
    const client = yield* OpenCtiClient.OpenCtiClient
    const input = Registration.registrationInput(yield* ConnectorConfig)
    const initial = yield* Registration.registerDetecting(client, input, startupRetry)
    const renewing = yield* Reregistration.make(client, initial.input, initial.registration)
    return Context.make(OpenCtiClient.OpenCtiClient, renewing.client).pipe(
      Context.add(Registration.OpenCtiRegistration, initial.registration),
      Context.add(Reregistration.CurrentRegistration, renewing.current)
    )
  })).pipe(Layer.provide(OpenCtiClient.layerConfig), Layer.merge(Recoveries.layer))

export const sinkLayer: Layer.Layer<
  BundleSink,
  never,
  Registration.OpenCtiRegistration | OpenCtiClient.OpenCtiClient | ConnectorConfig | Recoveries.Recoveries
> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig, (settings) => settings.connector.queueProtocol === "api" ? ApiSink.layer : AmqpSink.layer)
)
