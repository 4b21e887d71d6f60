/**
 * The built binary as the OpenCTI platform and XTM Composer start it: configuration from the environment
 * alone (no config.yml in the working directory), every default of the catalog schema written out as text,
 * the variables the composer adds (OPENCTI_CONFIG_HASH, the CA variables), and OpenCTI served over TLS by a
 * certificate only NODE_EXTRA_CA_CERTS makes trusted.
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { connectorEnv, runToEnd, stopStandIns } from "../support/ConnectorHarness.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { makeSelfSignedCert, type SelfSignedCert } from "../support/opencti/SelfSignedCert.js"
import { describeWithShared, REPO_ROOT } from "../support/Shared.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

const SCHEMA = JSON.parse(readFileSync(resolve(REPO_ROOT, "__metadata__/connector_config_schema.json"), "utf8")) as {
  readonly properties: Readonly<Record<string, { readonly default?: unknown }>>
}

/** What the platform leaves out of the form and sets itself. */
const PLATFORM_SET = ["OPENCTI_URL", "OPENCTI_TOKEN", "CONNECTOR_TYPE", "CONNECTOR_RUN_AND_TERMINATE"]

/** Every default of the schema, as the platform writes it into the container's environment. */
const schemaDefaults = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(SCHEMA.properties)
      .filter(([name, property]) => property.default !== undefined && !PLATFORM_SET.includes(name))
      .map((
        [name, property]
      ) => [name, Array.isArray(property.default) ? property.default.join(",") : String(property.default)])
  )

const serviceLine = (stdout: string, service: string) =>
  stdout.split("\n").find((line) => line.trimStart().startsWith(`${service} `))?.trim()

describeWithShared("a managed deployment (built binary, OpenCTI over TLS, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  let certificate: SelfSignedCert
  /** A working directory without config.yml. */
  let cwd: string
  beforeAll(async () => {
    certificate = makeSelfSignedCert()
    spycloud = await startSpycloudStandIn({ dataset: { records: 5 } })
    platform = await startOpenCtiStandIn({ tls: certificate })
    cwd = mkdtempSync(join(tmpdir(), "managed-"))
  })
  afterAll(() => stopStandIns({ spycloud, platform }))

  const managedEnv = (overrides: Readonly<Record<string, string>> = {}) => ({
    ...schemaDefaults(),
    ...connectorEnv(platform, spycloud),
    CONNECTOR_NAME: "SpyCloud (managed)",
    CONNECTOR_TYPE: "EXTERNAL_IMPORT",
    OPENCTI_SSL_VERIFY: "true",
    OPENCTI_CONFIG_HASH: "3f2a9c",
    NODE_EXTRA_CA_CERTS: certificate.certPath,
    // Python's and OpenSSL's CA variables: Node does not read them, and neither does the connector.
    SSL_CERT_FILE: "/nonexistent/ca-bundle.pem",
    REQUESTS_CA_BUNDLE: "/nonexistent/ca-bundle.pem",
    ...overrides
  })

  it("starts from the environment alone, accepts the composer's variables, and trusts OpenCTI through NODE_EXTRA_CA_CERTS", async () => {
    const result = await runToEnd(["check"], managedEnv(), 60_000, cwd)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain("read from: environment only (no config file)")
    expect(serviceLine(result.stdout, "OpenCTI")).toBe(
      `OpenCTI   OK      ${platform.url}/graphql answers (OpenCTI 6.8.10); the token is accepted`
    )
    expect(serviceLine(result.stdout, "SpyCloud")).toMatch(/^SpyCloud\s+OK\s/)
    expect(serviceLine(result.stdout, "RabbitMQ")).toMatch(/^RabbitMQ\s+OK\s/)
    // Accepted quietly: no warning or error names them.
    const output = result.stdout + result.stderr
    for (const variable of ["OPENCTI_CONFIG_HASH", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"]) {
      expect(output).not.toContain(variable)
    }
    expect(output).not.toContain(platform.token)
  })

  it("without NODE_EXTRA_CA_CERTS, the same certificate is refused", async () => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = managedEnv()
    const result = await runToEnd(["check"], env, 60_000, cwd)
    expect(result.code).toBe(1)
    expect(serviceLine(result.stdout, "OpenCTI")).toMatch(/^OpenCTI\s+FAILED\s.*self[- ]signed/i)
  })
})
