/**
 * `spycloud-connector check` (the built binary) in OpenCTI mode: it probes SpyCloud, OpenCTI and the
 * RabbitMQ the registration (and the MQ_* overrides) point at, and says clearly which one fails.
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { connectorEnv, runToEnd, startStandIns, stopStandIns } from "../support/ConnectorHarness.js"
import { freePort } from "../support/FreePort.js"
import type { OpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { describeWithShared } from "../support/Shared.js"
import type { SpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

/** The line `check` prints for a service: `  <service> OK|FAILED <detail>`. */
const serviceLine = (stdout: string, service: string) =>
  stdout.split("\n").find((line) => line.trimStart().startsWith(`${service} `))?.trim()

describeWithShared("check with OpenCTI (built binary, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  beforeAll(async () => {
    ;({ spycloud, platform } = await startStandIns({ dataset: { records: 10 } }))
  })
  afterAll(() => stopStandIns({ spycloud, platform }))

  it("reports SpyCloud, OpenCTI and RabbitMQ OK against working services", async () => {
    const env = connectorEnv(platform, spycloud)
    const result = await runToEnd(["check"], env)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(serviceLine(result.stdout, "SpyCloud")).toMatch(/^SpyCloud\s+OK\s/)
    expect(serviceLine(result.stdout, "OpenCTI")).toBe(
      `OpenCTI   OK      ${platform.url}/graphql answers (OpenCTI 6.8.10); the token is accepted`
    )
    expect(serviceLine(result.stdout, "RabbitMQ")).toBe(
      // The broker's user is "guest" with the password "guest": the password is scrubbed wherever it appears.
      `RabbitMQ  OK      amqp://<redacted>@127.0.0.1:5672/%2F accepts the connector; push queue push_${env.CONNECTOR_ID} ` +
        "holds 0 messages"
    )
    const output = result.stdout + result.stderr
    expect(output).not.toContain(platform.token)
    expect(output).not.toContain(spycloud.apiKey)
  })

  it("fails with exit code 1 and says so when OpenCTI refuses the token, without printing it", async () => {
    const token = `wrong-${crypto.randomUUID()}`
    const result = await runToEnd(["check"], connectorEnv(platform, spycloud, { OPENCTI_TOKEN: token }))
    expect(result.code).toBe(1)
    expect(serviceLine(result.stdout, "SpyCloud")).toMatch(/^SpyCloud\s+OK\s/)
    expect(serviceLine(result.stdout, "OpenCTI")).toMatch(
      /^OpenCTI\s+FAILED\s+OpenCTI refused the token \(AUTH_REQUIRED\) .*check OPENCTI_TOKEN$/
    )
    expect(result.stdout + result.stderr).not.toContain(token)
  })

  it("fails with exit code 1 and names the endpoint when MQ_HOST/MQ_PORT point at no RabbitMQ", async () => {
    const port = await freePort()
    const password = `mq-${crypto.randomUUID()}`
    const result = await runToEnd(
      ["check"],
      connectorEnv(platform, spycloud, { MQ_HOST: "127.0.0.1", MQ_PORT: String(port), MQ_PASS: password })
    )
    expect(result.code).toBe(1)
    expect(serviceLine(result.stdout, "OpenCTI")).toMatch(/^OpenCTI\s+OK\s/)
    expect(serviceLine(result.stdout, "RabbitMQ")).toMatch(
      new RegExp(
        `^RabbitMQ\\s+FAILED\\s+cannot connect to RabbitMQ at amqp://<redacted>@127\\.0\\.0\\.1:${port}/%2F: .*ECONNREFUSED`
      )
    )
    expect(result.stdout + result.stderr).not.toContain(password)
  })
})
