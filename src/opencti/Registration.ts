/**
 * Registration with the platform (docs/opencti-protocol.md, "Start-up and registration"): wait until the API
 * answers, then `registerConnector`. The answer gives the connector's initial state, the RabbitMQ connection and
 * push queue, and the user whose id every AMQP message carries.
 */
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import { registerSecrets } from "../lib/SecretScrubber.js"
import type { Registration } from "./Answers.js"
import {
  awaitPlatform,
  OpenCtiClient,
  type OpenCtiClientShape,
  type RegisterConnectorInput,
  STARTUP_RETRY
} from "./OpenCtiClient.js"
import { isTransient, type OpenCtiError } from "./OpenCtiError.js"

/**
 * CONNECTOR_SCOPE as a list. pycti 6.8 splits on `,` without trimming; 7.x trims. We trim and drop empty
 * items, so `"a, b"` registers `["a", "b"]` rather than a scope named `" b"`.
 */
export const scopeList = (scope: string): ReadonlyArray<string> =>
  scope.split(",").map((item) => item.trim()).filter((item) => item !== "")

/** The input pycti sends for an external-import connector; the flags are those of a non-enrichment connector. */
export const registrationInput = (settings: Settings): RegisterConnectorInput => ({
  id: settings.connector.id,
  name: settings.connector.name,
  type: settings.connector.type,
  scope: scopeList(settings.connector.scope),
  auto: false,
  auto_update: false,
  enrichment_resolution: "none",
  only_contextual: false,
  playbook_compatible: false,
  listen_callback_uri: null
})

/** The registration answer of this process. */
export class OpenCtiRegistration extends Context.Tag("connector/OpenCtiRegistration")<
  OpenCtiRegistration,
  Registration
>() {}

/**
 * Health check (retried while the platform is unreachable), then registration (registration is
 * idempotent, so a transient failure is retried on the same schedule).
 */
export const register = (
  client: OpenCtiClientShape,
  input: RegisterConnectorInput,
  schedule: Schedule.Schedule<unknown> = STARTUP_RETRY
): Effect.Effect<Registration, OpenCtiError> =>
  Effect.gen(function*() {
    const version = yield* awaitPlatform(client, schedule)
    yield* Effect.logInfo("Connected to OpenCTI").pipe(
      Effect.annotateLogs({ url: client.endpoint, opencti_version: version })
    )
    const registration = yield* client.register(input).pipe(Effect.retry({ schedule, while: isTransient }))
    registerSecrets(Redacted.value(registration.config.connection.pass))
    yield* Effect.logInfo("Connector registered").pipe(
      Effect.annotateLogs({ connector_id: registration.id, push_queue: registration.config.push })
    )
    return registration
  })

export const layer = (
  schedule: Schedule.Schedule<unknown> = STARTUP_RETRY
): Layer.Layer<OpenCtiRegistration, OpenCtiError, OpenCtiClient | ConnectorConfig> =>
  Layer.effect(
    OpenCtiRegistration,
    Effect.gen(function*() {
      const client = yield* OpenCtiClient
      const settings = yield* ConnectorConfig
      return yield* register(client, registrationInput(settings), schedule)
    })
  )
