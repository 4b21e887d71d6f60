import { describe, expect, it } from "@effect/vitest"
import amqp from "amqplib"
import { Effect, Either, Option, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type AmqpEndpoint,
  connectArguments,
  describeEndpoint,
  HEARTBEAT_SECONDS,
  resolveEndpoint
} from "../../src/opencti/AmqpEndpoint.js"
import type { RabbitMqConnection } from "../../src/opencti/Answers.js"
import { settingsFor } from "../support/opencti/TestSettings.js"

const REGISTERED: RabbitMqConnection = {
  host: "rabbitmq",
  port: 5672,
  vhost: "/",
  useSsl: false,
  user: "opencti",
  pass: Redacted.make("platform-secret")
}

const BASE_ENV = { OPENCTI_URL: "http://opencti:8080", OPENCTI_TOKEN: "t", CONNECTOR_ID: "c", SPYCLOUD_API_KEY: "k" }

const endpoint = (overrides: Partial<AmqpEndpoint> = {}): AmqpEndpoint => ({
  host: "127.0.0.1",
  port: 5672,
  vhost: "/",
  useSsl: false,
  user: "guest",
  pass: Redacted.make("guest"),
  tls: {
    ca: Option.none(),
    cert: Option.none(),
    key: Option.none(),
    passphrase: Option.none(),
    rejectUnauthorized: false
  },
  ...overrides
})

describe("AmqpEndpoint", () => {
  it.effect("uses the registration's connection when no MQ_* setting is given", () =>
    Effect.gen(function*() {
      const resolved = resolveEndpoint(REGISTERED, (yield* settingsFor(BASE_ENV)).mq)
      expect(resolved).toMatchObject({ host: "rabbitmq", port: 5672, vhost: "/", useSsl: false, user: "opencti" })
      expect(Redacted.value(resolved.pass)).toBe("platform-secret")
      expect(resolved.tls.rejectUnauthorized).toBe(false)
    }))

  it.effect("applies every MQ_* override", () =>
    Effect.gen(function*() {
      const settings = yield* settingsFor({
        ...BASE_ENV,
        MQ_HOST: "broker.example.com",
        MQ_PORT: "5671",
        MQ_VHOST: "opencti",
        MQ_USE_SSL: "true",
        MQ_USER: "connector",
        MQ_PASS: "override-secret",
        MQ_USE_SSL_CA: "/etc/ca.pem",
        MQ_USE_SSL_REJECT_UNAUTHORIZED: "true"
      })
      const resolved = resolveEndpoint(REGISTERED, settings.mq)
      expect(resolved).toMatchObject({
        host: "broker.example.com",
        port: 5671,
        vhost: "opencti",
        useSsl: true,
        user: "connector",
        tls: { ca: Option.some("/etc/ca.pem"), rejectUnauthorized: true }
      })
      expect(Redacted.value(resolved.pass)).toBe("override-secret")
    }))

  it("is described without its password, the virtual host escaped", () => {
    const text = describeEndpoint(endpoint({ user: "ops@corp", pass: Redacted.make("hunter2"), useSsl: true }))
    expect(text).toBe("amqps://ops%40corp@127.0.0.1:5672/%2F")
    expect(describeEndpoint(endpoint({ host: "::1" }))).toBe("amqp://guest@[::1]:5672/%2F")
  })

  it.effect("connects with pycti's heartbeat, credentials as given, and TLS material only for amqps", () =>
    Effect.gen(function*() {
      const plain = yield* connectArguments(endpoint({ pass: Redacted.make("pä:ss/w@rd%") }), "name")
      expect(plain.options).toMatchObject({
        protocol: "amqp",
        hostname: "127.0.0.1",
        port: 5672,
        username: "guest",
        password: "pä:ss/w@rd%",
        heartbeat: HEARTBEAT_SECONDS
      })
      expect(plain.socket).not.toHaveProperty("rejectUnauthorized")

      const dir = mkdtempSync(join(tmpdir(), "amqp-tls-"))
      writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nfrom-file\n-----END CERTIFICATE-----\n")
      const inlineKey = "-----BEGIN PRIVATE KEY-----\ninline\n-----END PRIVATE KEY-----"
      const tls = yield* connectArguments(
        endpoint({
          useSsl: true,
          tls: {
            ca: Option.some(join(dir, "ca.pem")),
            cert: Option.none(),
            key: Option.some(Redacted.make(inlineKey)),
            passphrase: Option.some(Redacted.make("phrase")),
            rejectUnauthorized: true
          }
        }),
        "name"
      )
      expect(tls.options.protocol).toBe("amqps")
      expect(tls.socket).toMatchObject({
        ca: "-----BEGIN CERTIFICATE-----\nfrom-file\n-----END CERTIFICATE-----\n",
        key: inlineKey,
        passphrase: "phrase",
        rejectUnauthorized: true
      })
    }))

  it.effect("names an unreadable TLS file, but never repeats a secret key's value", () =>
    Effect.gen(function*() {
      const tls = endpoint().tls
      const missingCa = yield* Effect.either(connectArguments(
        endpoint({ useSsl: true, tls: { ...tls, ca: Option.some("/nonexistent/ca.pem") } }),
        "name"
      ))
      expect(missingCa).toEqual(Either.left(expect.stringContaining("MQ_USE_SSL_CA")))
      expect(Either.isLeft(missingCa) && missingCa.left).toContain("/nonexistent/ca.pem")
      const garbledKey = yield* Effect.either(connectArguments(
        endpoint({ useSsl: true, tls: { ...tls, key: Option.some(Redacted.make("BEGIN-not-a-pem-s3cr3t")) } }),
        "name"
      ))
      expect(Either.isLeft(garbledKey) && garbledKey.left).toContain("MQ_USE_SSL_KEY")
      expect(Either.isLeft(garbledKey) && garbledKey.left).not.toContain("s3cr3t")
    }))
})

const rabbitmqctl = (...args: Array<string>) => execFileSync("rabbitmqctl", args, { stdio: "ignore" })
const hasRabbitmqctl = (() => {
  try {
    execFileSync("rabbitmqctl", ["--help"], { stdio: "ignore" })
    return true
  } catch (error) {
    // `--help` exits non-zero on some versions; only a missing binary matters.
    return (error as NodeJS.ErrnoException).code !== "ENOENT"
  }
})()

describe.skipIf(!hasRabbitmqctl)("AmqpEndpoint against the local RabbitMQ", () => {
  it("reaches a virtual host and a user whose names and password need escaping in a URL", async () => {
    const suffix = crypto.randomUUID().slice(0, 8)
    const vhost = `opencti/test %${suffix}`
    const user = `connectör-${suffix}`
    const password = "pä:ss/w@rd%?#"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("add_user", user, password)
    try {
      rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
      const args = await Effect.runPromise(
        connectArguments(endpoint({ vhost, user, pass: Redacted.make(password) }), "endpoint test")
      )
      const model = await amqp.connect(args.options, args.socket)
      try {
        const channel = await model.createChannel()
        const { queue } = await channel.assertQueue("", { exclusive: true })
        expect(queue).not.toBe("")
      } finally {
        await model.close()
      }
    } finally {
      rabbitmqctl("delete_user", user)
      rabbitmqctl("delete_vhost", vhost)
    }
  })
})
