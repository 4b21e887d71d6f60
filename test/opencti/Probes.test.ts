import { expect } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Schedule } from "effect"
import { createServer } from "node:net"
import * as OpenCti from "../../src/opencti/OpenCti.js"
import { probeOpenCti, probeRabbitMq } from "../../src/opencti/Probes.js"
import { OpenCtiPlatform, openCtiStandIn, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const openCtiLayer = (env: Record<string, string>) =>
  OpenCti.layer(Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(2)))).pipe(
    Layer.provideMerge(configLayer(env))
  )

describeWithShared("check probes", () => {
  withOpenCtiPlatform()((it) => {
    it.effect("report OpenCTI's version and RabbitMQ's push queue when both are usable", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const [openCti, rabbitMq] = yield* Effect.all([probeOpenCti, probeRabbitMq]).pipe(
          Effect.provide(openCtiLayer(env))
        )
        expect(openCti).toEqual({ endpoint: `${platform.url}/graphql`, version: "6.8.10" })
        expect(rabbitMq).toEqual({
          endpoint: "amqp://guest@127.0.0.1:5672/%2F",
          pushQueue: `push_${env.CONNECTOR_ID}`,
          pushQueueMessages: 0
        })
      }))

    it.effect("say when the token is refused", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { OPENCTI_TOKEN: "definitely-wrong" })
        const error = errorOf(yield* Effect.exit(Effect.provide(probeOpenCti, openCtiLayer(env))))
        expect(error._tag).toBe("OpenCtiUnauthorized")
        expect(error.message).not.toContain("definitely-wrong")
      }))

    it.effect("say where RabbitMQ could not be reached, without the password", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const port = yield* Effect.promise(closedPort)
        const env = openCtiEnv(platform, { MQ_PORT: String(port), MQ_PASS: "mq-secret-77" })
        const error = errorOf(yield* Effect.exit(Effect.provide(probeRabbitMq, openCtiLayer(env))))
        expect(error.reason).toContain(`cannot connect to RabbitMQ at amqp://guest@127.0.0.1:${port}/%2F`)
        // What `check` prints: the reason itself, not a bundle delivery failure (no bundle is involved).
        expect(error.message).toBe(error.reason)
        expect(error.message).not.toContain("mq-secret-77")
      }))

    it.effect("say when the platform's push queue does not exist", () =>
      Effect.gen(function*() {
        const bare = yield* openCtiStandIn({ declareQueues: false })
        const env = openCtiEnv(bare)
        const error = errorOf(yield* Effect.exit(Effect.provide(probeRabbitMq, openCtiLayer(env))))
        expect(error.reason).toContain(`queue push_${env.CONNECTOR_ID} is missing`)
      }).pipe(Effect.scoped))
  })
})
