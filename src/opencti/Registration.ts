/**
 * Registration with the platform (docs/opencti-protocol.md, "Start-up and registration"): wait until the API
 * answers, ask which fields its `RegisterConnectorInput` has (7.x adds `version` and `slug`), then
 * `registerConnector`. The answer gives the connector's initial state, the RabbitMQ connection and push queue,
 * and the user whose id every AMQP message carries.
 */
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import { registerSecrets } from "../lib/SecretScrubber.js"
import type { Registration } from "./Answers.js"
import {
  awaitPlatform,
  OpenCtiClient,
  type OpenCtiClientShape,
  PACKAGE_VERSION,
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

/** The connector's slug in the OpenCTI catalog (`__metadata__/connector_manifest.json`; a test keeps them equal). */
export const CONNECTOR_SLUG = "spycloud-typescript"

/**
 * The input with the 7.x fields this platform's `RegisterConnectorInput` has (`fields`, from op 21): `version`
 * (this release) and `slug`. An older platform rejects the whole registration for an unknown input field.
 */
export const withPlatformFields = (
  input: RegisterConnectorInput,
  fields: ReadonlyArray<string>
): RegisterConnectorInput => ({
  ...input,
  ...(fields.includes("version") ? { version: PACKAGE_VERSION } : {}),
  ...(fields.includes("slug") ? { slug: CONNECTOR_SLUG } : {})
})

/** The input fields of the platform's `RegisterConnectorInput`; none (the 6.x input) when it cannot say. */
const platformInputFields = (client: OpenCtiClientShape): Effect.Effect<ReadonlyArray<string>> =>
  client.registerInputFields.pipe(
    Effect.catchAll((error) =>
      Effect.as(
        Effect.logWarning("Cannot read the platform's registration fields; registering without version and slug")
          .pipe(Effect.annotateLogs({ reason: error.message })),
        []
      )
    )
  )

/** The registration answer of this process. */
export class OpenCtiRegistration extends Context.Tag("connector/OpenCtiRegistration")<
  OpenCtiRegistration,
  Registration
>() {}

/** What registration sent and what the platform answered. */
export interface Registered {
  /** The input as sent, with the fields this platform has: re-registrations send the same. */
  readonly input: RegisterConnectorInput
  readonly registration: Registration
}

/**
 * Health check (retried while the platform is unreachable), the platform's registration fields (once per
 * start), then registration (idempotent, so a transient failure is retried on the same schedule).
 */
export const registerDetecting = (
  client: OpenCtiClientShape,
  baseInput: RegisterConnectorInput,
  schedule: Schedule.Schedule<unknown> = STARTUP_RETRY
): Effect.Effect<Registered, OpenCtiError> =>
  Effect.gen(function*() {
    const version = yield* awaitPlatform(client, schedule)
    yield* Effect.logInfo("Connected to OpenCTI").pipe(
      Effect.annotateLogs({ url: client.endpoint, opencti_version: version })
    )
    const input = withPlatformFields(baseInput, yield* platformInputFields(client))
    const registration = yield* client.register(input).pipe(Effect.retry({ schedule, while: isTransient }))
    registerSecrets(Redacted.value(registration.config.connection.pass))
    yield* Effect.logInfo("Connector registered").pipe(
      Effect.annotateLogs({ connector_id: registration.id, push_queue: registration.config.push })
    )
    return { input, registration }
  })

/** `registerDetecting`, keeping only the answer. */
export const register = (
  client: OpenCtiClientShape,
  input: RegisterConnectorInput,
  schedule: Schedule.Schedule<unknown> = STARTUP_RETRY
): Effect.Effect<Registration, OpenCtiError> =>
  Effect.map(registerDetecting(client, input, schedule), (registered) => registered.registration)

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
