import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runBinary } from "../support/Binary.js"
import { startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

const OFFLINE = {
  CONNECTOR_ID: "8d3f0a6e-1111-4222-8333-944455556666",
  CONNECTOR_SEND_TO_QUEUE: "false",
  CONNECTOR_SEND_TO_DIRECTORY: "true",
  CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/spycloud-check-test",
  SPYCLOUD_API_KEY: "sk-live-abcdef0123456789",
  SPYCLOUD_API_BASE_URL: "http://127.0.0.1:9/enterprise-v2"
}

describe("spycloud-connector (binary)", () => {
  it("--help lists the commands", async () => {
    const result = await runBinary(["--help"])
    expect(result.code).toBe(0)
    for (const command of ["run", "once", "check"]) expect(result.stdout).toMatch(new RegExp(`- ${command}\\b`))
  })

  it("check --help explains the command", async () => {
    const result = await runBinary(["check", "--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Validate the configuration and print it with every secret redacted")
  })

  it("check rejects several bad values at once with exit code 2, never printing the token", async () => {
    const token = "opencti-token-7f3a9c1e5b"
    const result = await runBinary(["check"], {
      env: {
        OPENCTI_URL: "http://opencti:8080",
        OPENCTI_TOKEN: token,
        SPYCLOUD_API_KEY: "sk-live-abcdef0123456789",
        SPYCLOUD_SEVERITY_LEVELS: "3",
        CONNECTOR_DURATION_PERIOD: "5m",
        SPYCLOUD_TLP_LEVEL: "purple"
      }
    })
    expect(result.code).toBe(2)
    const output = result.stdout + result.stderr
    expect(output).toContain("Invalid configuration (4 problems)")
    expect(output).toContain("SPYCLOUD_SEVERITY_LEVELS (spycloud.severity_levels)")
    expect(output).toContain("CONNECTOR_DURATION_PERIOD (connector.duration_period)")
    expect(output).toContain("SPYCLOUD_TLP_LEVEL (spycloud.tlp_level)")
    expect(output).toContain("CONNECTOR_ID (connector.id): is required")
    expect(output).not.toContain(token)
    expect(output).not.toContain("sk-live-abcdef0123456789")
  })

  it("check prints URLs without their password, and config errors without credentials or the YAML excerpt", async () => {
    const result = await runBinary(["check"], {
      env: { ...OFFLINE, SPYCLOUD_API_BASE_URL: "http://spy:UrlPass-4471@127.0.0.1:9/enterprise-v2" }
    })
    const output = result.stdout + result.stderr
    expect(output).toContain("SPYCLOUD_API_BASE_URL (spycloud.api_base_url)")
    expect(output).toContain("http://spy:REDACTED@127.0.0.1:9/enterprise-v2/")
    expect(output).not.toContain("UrlPass-4471")

    const invalid = await runBinary(["check"], {
      env: { ...OFFLINE, OPENCTI_URL: "ftp://admin:FtpPass-8812@opencti", OPENCTI_TOKEN: "TokenValue-1234" }
    })
    expect(invalid.code).toBe(2)
    expect(invalid.stdout + invalid.stderr).toContain("OPENCTI_URL (opencti.url)")
    expect(invalid.stdout + invalid.stderr).not.toContain("FtpPass-8812")

    const dir = mkdtempSync(join(tmpdir(), "spycloud-check-"))
    const config = join(dir, "broken.yml")
    writeFileSync(config, "opencti:\n  token: YamlToken-5531\n   url: [unclosed\n")
    const broken = await runBinary(["check", "--config", config], { env: OFFLINE })
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain("is not valid YAML")
    expect(broken.stdout + broken.stderr).not.toContain("YamlToken-5531")
  })

  it("check and the log warn when SPYCLOUD_API_BASE_URL is http://, and only then", async () => {
    const warning =
      "SPYCLOUD_API_BASE_URL (spycloud.api_base_url) uses http://: the SpyCloud API key is sent unencrypted"
    const plain = await runBinary(["check"], { env: OFFLINE })
    expect(plain.stdout).toContain(`Warning: ${warning}`)
    expect(plain.stderr).toMatch(/"level":"WARNING".*uses http:\/\/: the SpyCloud API key is sent unencrypted/)

    const tls = await runBinary(["check"], {
      env: { ...OFFLINE, SPYCLOUD_API_BASE_URL: "https://127.0.0.1:9/enterprise-v2" }
    })
    expect(tls.stdout).toContain("SPYCLOUD_API_BASE_URL")
    expect(tls.stdout + tls.stderr).not.toContain("sent unencrypted")
  })

  it("check prints the resolved configuration from config.yml and environment, secrets redacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spycloud-check-"))
    const config = join(dir, "connector.yml")
    writeFileSync(
      config,
      [
        "connector:",
        "  name: 'From YAML'",
        "  duration_period: 'PT5M'",
        "spycloud:",
        "  severity_levels: [20, 25]",
        "  tlp_level: red",
        "  api_key: 'yaml-secret-key-1234'",
        "  typo_key: 1"
      ].join("\n")
    )
    const result = await runBinary(["check", "--config", config], {
      env: { ...OFFLINE, SPYCLOUD_TLP_LEVEL: "green", MQ_PASS: "mq-password-9876" }
    })
    const output = result.stdout + result.stderr
    expect(output).toContain("Configuration: valid")
    expect(output).toContain(`environment, then ${config}`)
    expect(output).toMatch(/CONNECTOR_NAME \(connector\.name\)\s+From YAML/)
    expect(output).toMatch(/CONNECTOR_DURATION_PERIOD \(connector\.duration_period\)\s+PT5M/)
    expect(output).toMatch(/SPYCLOUD_SEVERITY_LEVELS \(spycloud\.severity_levels\)\s+20,25/)
    expect(output).toMatch(/SPYCLOUD_TLP_LEVEL \(spycloud\.tlp_level\)\s+green/)
    expect(output).toMatch(/SPYCLOUD_API_KEY \(spycloud\.api_key\)\s+<redacted>/)
    expect(output).toMatch(/MQ_PASS \(mq\.pass\)\s+<redacted>/)
    expect(output).toMatch(/CONNECTOR_QUEUE_THRESHOLD \(connector\.queue_threshold\)\s+500\s+\[default\]/)
    expect(output).toContain("spycloud.typo_key")
    expect(output).not.toContain("sk-live-abcdef0123456789")
    expect(output).not.toContain("mq-password-9876")
  })

  it("check probes SpyCloud: OK with the right key; exit 1 naming the key or the IP allow-list otherwise", async () => {
    const spycloud = await startSpycloudStandIn({ dataset: { records: 10 } })
    try {
      const env = { ...OFFLINE, SPYCLOUD_API_BASE_URL: spycloud.baseUrl, SPYCLOUD_API_KEY: spycloud.apiKey }
      const ok = await runBinary(["check"], { env })
      expect(ok.code, ok.stdout + ok.stderr).toBe(0)
      expect(ok.stdout).toMatch(/^\s*SpyCloud\s+OK\s/m)
      expect(ok.stdout + ok.stderr).not.toContain(spycloud.apiKey)

      const wrongKey = "sk-wrong-5e1d9b7c3a"
      const refused = await runBinary(["check"], { env: { ...env, SPYCLOUD_API_KEY: wrongKey } })
      expect(refused.code).toBe(1)
      expect(refused.stdout).toMatch(/^\s*SpyCloud\s+FAILED\s.*SPYCLOUD_API_KEY/m)
      expect(refused.stdout + refused.stderr).not.toContain(wrongKey)

      spycloud.setFaults({ forbidden: "ip" })
      const notAllowed = await runBinary(["check"], { env })
      expect(notAllowed.code).toBe(1)
      expect(notAllowed.stdout).toMatch(/^\s*SpyCloud\s+FAILED\s.*IP allow-list/m)
    } finally {
      await spycloud.stop()
    }
  })

  it("check fails with exit code 2 when --config names a missing or broken file", async () => {
    const missing = await runBinary(["check", "--config", "/nonexistent/config.yml"], { env: OFFLINE })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("/nonexistent/config.yml: the file does not exist")
    const dir = mkdtempSync(join(tmpdir(), "spycloud-check-"))
    writeFileSync(join(dir, "bad.yml"), "connector: [unclosed")
    const broken = await runBinary(["check", "-c", join(dir, "bad.yml")], { env: OFFLINE })
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain("is not valid YAML")
  })

  it("an unknown command or option is a usage error (exit 2)", async () => {
    expect((await runBinary(["frobnicate"])).code).toBe(2)
    expect((await runBinary(["check", "--frobnicate"])).code).toBe(2)
  })
})
