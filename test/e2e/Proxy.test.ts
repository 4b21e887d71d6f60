/**
 * The built binary behind an outbound proxy: SpyCloud (http, absolute-form) and OpenCTI (https, CONNECT
 * tunnel, self-signed certificate) are reached through a recording proxy under host names that only the
 * proxy resolves; TLS inside the tunnel is verified as OPENCTI_SSL_VERIFY and NODE_EXTRA_CA_CERTS say;
 * NO_PROXY keeps listed hosts direct; the proxy's credentials never reach the output.
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { lookup } from "node:dns/promises"
import {
  connectorEnv,
  expectedIncidents,
  incidentIds,
  runToEnd,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { type ForwardProxy, type ProxiedRequest, startForwardProxy } from "../support/ForwardProxy.js"
import { freePort } from "../support/FreePort.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { makeSelfSignedCert, type SelfSignedCert } from "../support/opencti/SelfSignedCert.js"
import { describeWithShared } from "../support/Shared.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

const CREDENTIALS = { user: "proxy-user", password: "pr0xy-s3cret" }
const SPYCLOUD_HOST = "spycloud.proxy.test"
const OPENCTI_HOST = "opencti.proxy.test"

describeWithShared("the binary behind an outbound proxy (real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  let certificate: SelfSignedCert
  let proxy: ForwardProxy
  beforeAll(async () => {
    spycloud = await startSpycloudStandIn({ dataset: { records: 40, days: 2, endDate: yesterday(), seed: 9 } })
    certificate = makeSelfSignedCert([OPENCTI_HOST])
    platform = await startOpenCtiStandIn({ tls: certificate })
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

  const spycloudPort = () => new URL(spycloud.baseUrl).port
  const platformPort = () => new URL(platform.url).port
  const spycloudViaProxy = () => spycloud.baseUrl.replace("127.0.0.1", SPYCLOUD_HOST)
  const platformViaProxy = () => `https://${OPENCTI_HOST}:${platformPort()}`

  /** The environment of a run behind the proxy (upper-case variables, with credentials); `overrides` win. */
  const proxiedEnv = (overrides: Readonly<Record<string, string>>) =>
    connectorEnv(platform, spycloud, {
      HTTPS_PROXY: proxy.urlWithCredentials,
      HTTP_PROXY: proxy.urlWithCredentials,
      ...overrides
    })

  /** What passed the proxy during `run`. */
  const recorded = async <A>(run: () => Promise<A>): Promise<[A, ReadonlyArray<ProxiedRequest>]> => {
    const before = proxy.requests.length
    const result = await run()
    return [result, proxy.requests.slice(before)]
  }

  /** The output holds neither the proxy password nor the encoded credentials. */
  const expectNoCredentials = (output: string) => {
    expect(output).not.toContain(CREDENTIALS.password)
    expect(output).not.toContain(Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString("base64"))
  }

  const expectRegistered = (connectorId: string) =>
    expect(
      platform.callsOf("RegisterConnector").some((call) => (call.variables.input as { id: string }).id === connectorId)
    ).toBe(true)

  const expectEverythingDelivered = async (connectorId: string) => {
    const [work] = worksOf(platform, connectorId)
    const drained = await drainPushQueue(`push_${connectorId}`, { expected: work!.expectations })
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  }

  it("the test host names resolve only through the proxy", async () => {
    for (const host of [SPYCLOUD_HOST, OPENCTI_HOST]) await expect(lookup(host)).rejects.toThrow()
  })

  it("once: SpyCloud in absolute form and OpenCTI over verified TLS in a CONNECT tunnel; lower-case variables win", async () => {
    const deadProxy = `http://127.0.0.1:${await freePort()}`
    const env = connectorEnv(platform, spycloud, {
      SPYCLOUD_API_BASE_URL: spycloudViaProxy(),
      OPENCTI_URL: platformViaProxy(),
      // Verification on, against the platform's own CA: the tunnel's TLS must use it.
      OPENCTI_SSL_VERIFY: certificate.certPath,
      // The upper-case forms name a proxy nothing listens on; the lower-case ones win, as with curl.
      https_proxy: proxy.urlWithCredentials,
      HTTPS_PROXY: deadProxy,
      http_proxy: proxy.urlWithCredentials,
      HTTP_PROXY: deadProxy
    })
    const [result, passed] = await recorded(() => runToEnd(["once"], env))
    expect(result.code, result.stderr).toBe(0)
    expect(passed.every((request) => request.authorized && request.refused === undefined)).toBe(true)
    const toSpycloud = passed.filter((request) => request.host === `${SPYCLOUD_HOST}:${spycloudPort()}`)
    expect(toSpycloud.length).toBeGreaterThan(0)
    expect(toSpycloud.every((request) => request.mode === "absolute")).toBe(true)
    expect(toSpycloud.some((request) => request.target.includes("/breach/data/watchlist"))).toBe(true)
    const toOpenCti = passed.filter((request) => request.host === `${OPENCTI_HOST}:${platformPort()}`)
    expect(toOpenCti.length).toBeGreaterThan(0)
    expect(toOpenCti.every((request) => request.mode === "connect")).toBe(true)
    expect(passed.length).toBe(toSpycloud.length + toOpenCti.length)
    expectRegistered(env.CONNECTOR_ID)
    await expectEverythingDelivered(env.CONNECTOR_ID)
    // The proxy is named in the logs, without its credentials.
    expect(result.stderr).toContain("SpyCloud is reached through the proxy variables")
    expect(result.stderr).toContain("OpenCTI is reached through the proxy variables")
    expect(result.stderr).toContain(`"https_proxy":"${proxy.url}/"`)
    expectNoCredentials(result.stderr + result.stdout)
  })

  it("check: OpenCTI over TLS through the proxy trusts NODE_EXTRA_CA_CERTS with OPENCTI_SSL_VERIFY=true, and shows the proxy without credentials", async () => {
    const env = proxiedEnv({
      SPYCLOUD_API_BASE_URL: spycloudViaProxy(),
      OPENCTI_URL: platformViaProxy(),
      OPENCTI_SSL_VERIFY: "true",
      NODE_EXTRA_CA_CERTS: certificate.certPath,
      NO_PROXY: ".internal.example"
    })
    const [result, passed] = await recorded(() => runToEnd(["check"], env))
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(0)
    expect(passed.some((request) => request.host === `${OPENCTI_HOST}:${platformPort()}`)).toBe(true)
    expect(result.stdout).toContain(`https_proxy  ${proxy.url}/`)
    expect(result.stdout).toContain(`http_proxy   ${proxy.url}/`)
    expect(result.stdout).toContain("no_proxy     .internal.example")
    expect(result.stdout).toContain("RabbitMQ (AMQP) is reached directly")
    expectNoCredentials(output)
  })

  it("check: without the platform's CA, verification inside the tunnel refuses the self-signed certificate", async () => {
    const env = proxiedEnv({
      SPYCLOUD_API_BASE_URL: spycloudViaProxy(),
      OPENCTI_URL: platformViaProxy(),
      OPENCTI_SSL_VERIFY: "true"
    })
    const [result, passed] = await recorded(() => runToEnd(["check"], env))
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(1)
    expect(passed.some((request) => request.host === `${OPENCTI_HOST}:${platformPort()}`)).toBe(true)
    expect(output).toMatch(/OpenCTI.*self[- ]signed/i)
    expect(output).toMatch(/SpyCloud.*accepts the API key/)
    expectNoCredentials(output)
  })

  it("NO_PROXY keeps a listed host:port direct while SpyCloud still goes through the proxy", async () => {
    const env = proxiedEnv({
      SPYCLOUD_API_BASE_URL: spycloudViaProxy(),
      OPENCTI_URL: platform.url,
      http_proxy: proxy.urlWithCredentials,
      NO_PROXY: `*.internal.example 127.0.0.1:${platformPort()}`
    })
    const [result, passed] = await recorded(() => runToEnd(["once"], env))
    expect(result.code, result.stderr).toBe(0)
    expect(passed.filter((request) => request.host.startsWith(SPYCLOUD_HOST)).length).toBeGreaterThan(0)
    expect(passed.filter((request) => !request.host.startsWith(SPYCLOUD_HOST))).toEqual([])
    expectRegistered(env.CONNECTOR_ID)
    await expectEverythingDelivered(env.CONNECTOR_ID)
    expectNoCredentials(result.stderr + result.stdout)
  })

  it("NO_PROXY covers the subdomains of a listed domain: SpyCloud goes direct, where its name does not resolve", async () => {
    const env = proxiedEnv({
      SPYCLOUD_API_BASE_URL: spycloudViaProxy(),
      NO_PROXY: "proxy.test,127.0.0.1"
    })
    const [result, passed] = await recorded(() => runToEnd(["check"], env))
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(1)
    expect(passed).toEqual([])
    expect(output).toMatch(/SpyCloud.*(ENOTFOUND|getaddrinfo|not resolve)/)
    expectNoCredentials(output)
  })

  it("NO_PROXY=* keeps every host direct", async () => {
    const env = proxiedEnv({
      NO_PROXY: "*"
    })
    const [result, passed] = await recorded(() => runToEnd(["check"], env))
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(passed).toEqual([])
  })

  it("a proxy URL that does not parse is listed with the other configuration problems, without echoing it", async () => {
    const env = connectorEnv(platform, spycloud, {
      HTTPS_PROXY: `proxy-user:${CREDENTIALS.password}@nowhere`,
      SPYCLOUD_TLP_LEVEL: "purple"
    })
    const result = await runToEnd(["once"], env)
    const output = result.stdout + result.stderr
    expect(result.code, output).toBe(2)
    expect(output).toContain("Invalid configuration (2 problems)")
    expect(output).toContain("https_proxy / HTTPS_PROXY: must be an http:// or https:// proxy URL")
    expect(output).toContain("SPYCLOUD_TLP_LEVEL (spycloud.tlp_level)")
    expectNoCredentials(output)
  })
})
