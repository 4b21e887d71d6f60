import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import * as OpenCtiHttp from "../../src/opencti/OpenCtiHttp.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { makeSelfSignedCert, type SelfSignedCert } from "../support/opencti/SelfSignedCert.js"
import { describeWithShared } from "../support/Shared.js"

describeWithShared("OPENCTI_SSL_VERIFY against an HTTPS platform with a self-signed certificate", () => {
  let platform: OpenCtiStandIn
  let certificate: SelfSignedCert
  beforeAll(async () => {
    certificate = makeSelfSignedCert()
    platform = await startOpenCtiStandIn({ declareQueues: false, tls: certificate })
  })
  afterAll(() => platform.close())

  const about = (sslVerify: OpenCtiHttp.SslVerify) =>
    OpenCtiClient.make({ url: platform.url, token: Redacted.make(platform.token), connectorId: "c" }).pipe(
      Effect.flatMap((client) => client.about),
      Effect.provide(OpenCtiHttp.layer(sslVerify, `${platform.url}/graphql`).pipe(Layer.fresh)),
      Effect.exit
    )

  const failure = (exit: Exit.Exit<string, unknown>) =>
    Exit.isFailure(exit) ?
      Option.getOrThrow(Cause.failureOption(exit.cause)) as { _tag: string; message: string }
      : undefined

  it.live("false (pycti's default) accepts the certificate", () =>
    Effect.gen(function*() {
      expect(yield* about(false)).toEqual(Exit.succeed("6.8.10"))
    }))

  it.live("true verifies against the system CAs and refuses it", () =>
    Effect.gen(function*() {
      const error = failure(yield* about(true))
      expect(error?._tag).toBe("OpenCtiUnreachable")
      expect(error?.message).toMatch(/self[- ]signed/i)
    }))

  it.live("a CA bundle path trusts that CA", () =>
    Effect.gen(function*() {
      expect(yield* about(certificate.certPath)).toEqual(Exit.succeed("6.8.10"))
    }))

  it.live("a CA bundle path that cannot be read fails before any request, saying so", () =>
    Effect.gen(function*() {
      const error = failure(yield* about("/nonexistent/ca.pem"))
      expect(error?.message).toContain("OPENCTI_SSL_VERIFY names a CA bundle that cannot be read (/nonexistent/ca.pem)")
    }))
})
