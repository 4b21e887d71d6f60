/**
 * `once` (the built binary) behind an outbound proxy: SpyCloud (http, absolute-form) and OpenCTI (https,
 * CONNECT tunnel) are reached through it under host names only the proxy resolves; NO_PROXY keeps a listed
 * host direct; the proxy's credentials never reach a log.
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import {
  connectorEnv,
  expectedIncidents,
  incidentIds,
  runToEnd,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { type ForwardProxy, startForwardProxy } from "../support/ForwardProxy.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { makeSelfSignedCert } from "../support/opencti/SelfSignedCert.js"
import { describeWithShared } from "../support/Shared.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

const CREDENTIALS = { user: "proxy-user", password: "pr0xy-s3cret" }
const SPYCLOUD_HOST = "api.spycloud.test"
const OPENCTI_HOST = "opencti.test"

describeWithShared("once behind an outbound proxy (built binary, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  let proxy: ForwardProxy
  beforeAll(async () => {
    spycloud = await startSpycloudStandIn({ dataset: { records: 40, days: 2, endDate: yesterday(), seed: 9 } })
    platform = await startOpenCtiStandIn({ tls: makeSelfSignedCert() })
    proxy = await startForwardProxy({
      hosts: { [SPYCLOUD_HOST]: "127.0.0.1", [OPENCTI_HOST]: "127.0.0.1" },
      credentials: CREDENTIALS
    })
  })
  afterAll(async () => {
    await proxy?.close()
    await spycloud?.stop()
    expect(platform.invalidRequests).toEqual([])
    await platform?.close()
  })

  const spycloudUrl = () => spycloud.baseUrl.replace("127.0.0.1", SPYCLOUD_HOST)
  const platformPort = () => new URL(platform.url).port

  /** The run's output holds neither the proxy password nor the encoded credentials. */
  const expectNoCredentials = (output: string) => {
    expect(output).not.toContain(CREDENTIALS.password)
    expect(output).not.toContain(Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString("base64"))
  }

  const expectEverythingDelivered = async (connectorId: string) => {
    const [work] = worksOf(platform, connectorId)
    const drained = await drainPushQueue(`push_${connectorId}`, { expected: work!.expectations })
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  }

  it("SpyCloud and OpenCTI through the proxy (lower- and upper-case variables), credentials never logged", async () => {
    const before = proxy.requests.length
    const env = connectorEnv(platform, spycloud, {
      SPYCLOUD_API_BASE_URL: spycloudUrl(),
      OPENCTI_URL: `https://${OPENCTI_HOST}:${platformPort()}`,
      https_proxy: proxy.urlWithCredentials,
      HTTP_PROXY: proxy.urlWithCredentials
    })
    const result = await runToEnd(["once"], env)
    expect(result.code, result.stderr).toBe(0)
    const passed = proxy.requests.slice(before)
    expect(passed.every((request) => request.authorized && request.refused === undefined)).toBe(true)
    const spycloudPort = new URL(spycloud.baseUrl).port
    const toSpycloud = passed.filter((request) => request.host === `${SPYCLOUD_HOST}:${spycloudPort}`)
    expect(toSpycloud.length).toBeGreaterThan(0)
    expect(toSpycloud.every((request) => request.mode === "absolute")).toBe(true)
    expect(toSpycloud.some((request) => request.target.includes("/enterprise-v2/breach/data/watchlist"))).toBe(true)
    const toOpenCti = passed.filter((request) => request.host === `${OPENCTI_HOST}:${platformPort()}`)
    expect(toOpenCti.length).toBeGreaterThan(0)
    expect(toOpenCti.every((request) => request.mode === "connect")).toBe(true)
    expect(
      platform.callsOf("RegisterConnector").some((call) =>
        (call.variables.input as { id: string }).id === env.CONNECTOR_ID
      )
    ).toBe(true)
    await expectEverythingDelivered(env.CONNECTOR_ID)
    // The proxy is named in the logs, without its credentials.
    expect(result.stderr).toContain("SpyCloud is reached through the proxy variables")
    expect(result.stderr).toContain(`"http_proxy":"${proxy.url}/"`)
    expectNoCredentials(result.stderr + result.stdout)
  })

  it("NO_PROXY keeps a listed host direct while SpyCloud still goes through the proxy", async () => {
    const before = proxy.requests.length
    const env = connectorEnv(platform, spycloud, {
      SPYCLOUD_API_BASE_URL: spycloudUrl(),
      OPENCTI_URL: platform.url,
      HTTPS_PROXY: proxy.urlWithCredentials,
      http_proxy: proxy.urlWithCredentials,
      NO_PROXY: "127.0.0.1, .internal.example"
    })
    const result = await runToEnd(["once"], env)
    expect(result.code, result.stderr).toBe(0)
    const passed = proxy.requests.slice(before)
    expect(passed.filter((request) => request.host.startsWith(SPYCLOUD_HOST)).length).toBeGreaterThan(0)
    expect(passed.filter((request) => !request.host.startsWith(SPYCLOUD_HOST))).toEqual([])
    expect(
      platform.callsOf("RegisterConnector").some((call) =>
        (call.variables.input as { id: string }).id === env.CONNECTOR_ID
      )
    ).toBe(true)
    await expectEverythingDelivered(env.CONNECTOR_ID)
    expectNoCredentials(result.stderr + result.stdout)
  })

  it("a proxy URL that does not parse is a configuration error that does not echo it", async () => {
    const env = connectorEnv(platform, spycloud, { HTTPS_PROXY: `proxy-user:${CREDENTIALS.password}@nowhere` })
    const result = await runToEnd(["once"], env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("https_proxy / HTTPS_PROXY: must be an http:// or https:// proxy URL")
    expectNoCredentials(result.stderr + result.stdout)
  })
})
