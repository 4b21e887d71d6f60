import { expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as Documents from "../../src/opencti/Documents.js"
import * as OpenCti from "../../src/opencti/OpenCti.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import { PACKAGE_VERSION } from "../../src/opencti/OpenCtiClient.js"
import * as Registration from "../../src/opencti/Registration.js"
import { OpenCtiPlatform, openCtiStandIn, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { openCtiSchema, requestProblems, SCHEMA_VERSIONS } from "../support/opencti/OpenCtiSchemas.js"
import { registrationInput } from "../support/opencti/RegistrationInput.js"
import { clientIn, configLayer, openCtiEnv, settingsFor } from "../support/opencti/TestSettings.js"
import { describeWithShared, REPO_ROOT } from "../support/Shared.js"

describeWithShared("Registration", () => {
  withOpenCtiPlatform()((it) => {
    it.effect("sends pycti's input for an external-import connector; the scope is split and trimmed", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { CONNECTOR_NAME: "SpyCloud EU", CONNECTOR_SCOPE: "spycloud, breach,,x " })
        const input = Registration.registrationInput(yield* settingsFor(env))
        expect(input).toEqual(
          registrationInput(env.CONNECTOR_ID, { name: "SpyCloud EU", scope: ["spycloud", "breach", "x"] })
        )
        for (const version of SCHEMA_VERSIONS) {
          expect(requestProblems(openCtiSchema(version), Documents.REGISTER_CONNECTOR, { input })).toEqual([])
        }
        expect(Registration.registrationInput(yield* settingsFor(openCtiEnv(platform))).scope).toEqual(["spycloud"])
      }))

    it.effect("checks the platform's health, then registers and keeps the answer", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        platform.setConnectorState(env.CONNECTOR_ID, "{\"last_import_date\": \"2024-05-01T00:00:00+00:00\"}")
        const before = platform.calls.length
        const registration = yield* Registration.OpenCtiRegistration.pipe(
          Effect.provide(
            Registration.layer().pipe(
              Layer.provideMerge(OpenCtiClient.layerConfig),
              Layer.provide(configLayer(env))
            )
          )
        )
        expect(platform.calls.slice(before).map((call) => call.operation)).toEqual([
          "healthCheck",
          "ApiCompatibility",
          "RegisterConnector"
        ])
        expect(registration).toMatchObject({
          id: env.CONNECTOR_ID,
          connectorState: "{\"last_import_date\": \"2024-05-01T00:00:00+00:00\"}",
          connectorUserId: platform.userId,
          config: {
            push: `push_${env.CONNECTOR_ID}`,
            pushRouting: `push_routing_${env.CONNECTOR_ID}`,
            pushExchange: "amqp.worker.exchange",
            connection: { host: "127.0.0.1", port: 5672, vhost: "/", useSsl: false, user: "guest" }
          }
        })
        expect(platform.connectors.get(env.CONNECTOR_ID)?.scope).toEqual(["spycloud"])
      }))

    it.scoped("waits for a platform that is still starting", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        // Built in the test's scope: the client's HTTP dispatcher is destroyed when its layer is released.
        const client = yield* clientIn(env)
        platform.failNext(3)
        const registration = yield* Registration.register(
          client,
          Registration.registrationInput(yield* settingsFor(env)),
          Schedule.spaced("10 millis")
        )
        expect(registration.id).toBe(env.CONNECTOR_ID)
      }))
  })
})

describeWithShared("Registration against each platform version", () => {
  const manifest = JSON.parse(readFileSync(resolve(REPO_ROOT, "__metadata__/connector_manifest.json"), "utf8")) as {
    readonly slug: string
  }

  it("the slug sent is the manifest's", () => {
    expect(Registration.CONNECTOR_SLUG).toBe(manifest.slug)
  })

  for (const version of SCHEMA_VERSIONS) {
    const hasFields = version === "7.260817.0+version-slug"
    it.live(`${version}: asks the input's fields once, ${hasFields ? "sends" : "leaves out"} version and slug`, () =>
      Effect.gen(function*() {
        const platform = yield* openCtiStandIn({ schemaVersion: version, declareQueues: false })
        const env = openCtiEnv(platform)
        yield* Effect.gen(function*() {
          // A re-registration (the platform forgot the connector) sends the same input, without asking again.
          platform.forgetConnector(env.CONNECTOR_ID)
          yield* (yield* OpenCtiClient.OpenCtiClient).workAdd("SpyCloud run")
        }).pipe(Effect.provide(OpenCti.layer(Schedule.spaced("10 millis")).pipe(Layer.provide(configLayer(env)))))
        expect(platform.callsOf("ApiCompatibility")).toHaveLength(1)
        const inputs = platform.callsOf("RegisterConnector").map((call) =>
          call.variables.input as Record<string, unknown>
        )
        expect(inputs).toHaveLength(2)
        expect(inputs[1]).toEqual(inputs[0])
        if (hasFields) {
          expect(inputs[0]).toMatchObject({ version: PACKAGE_VERSION, slug: manifest.slug })
        } else {
          expect(Object.keys(inputs[0]!)).not.toContain("version")
          expect(Object.keys(inputs[0]!)).not.toContain("slug")
        }
      }).pipe(Effect.scoped))
  }

  it.live("when the field query fails, registration goes on with the 6.x input", () =>
    Effect.gen(function*() {
      const platform = yield* openCtiStandIn({ schemaVersion: "7.260817.0+version-slug", declareQueues: false })
      const env = openCtiEnv(platform)
      const answered = platform.onCall((call) => {
        if (call.operation === "healthCheck") platform.failNext(1, "reset")
      })
      yield* Registration.OpenCtiRegistration.pipe(
        Effect.provide(
          Registration.layer(Schedule.stop).pipe(
            Layer.provideMerge(OpenCtiClient.layerConfig),
            Layer.provide(configLayer(env))
          )
        ),
        Effect.ensuring(Effect.sync(answered))
      )
      expect(platform.callsOf("ApiCompatibility")).toHaveLength(0)
      const [input] = platform.callsOf("RegisterConnector").map((call) =>
        call.variables.input as Record<string, unknown>
      )
      expect(Object.keys(input!)).not.toContain("version")
    }).pipe(Effect.scoped))
})
