/**
 * The stand-in is what the integration tests trust to behave like OpenCTI, so its own behaviour is
 * checked here: validation, tokens, queue declarations, the reset protocol.
 */
import { expect, it } from "@effect/vitest"
import amqp from "amqplib"
import { PING_CONNECTOR, REGISTER_CONNECTOR } from "../../src/opencti/Documents.js"
import { LOCAL_AMQP_URL, startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { registrationInput } from "../support/opencti/RegistrationInput.js"
import { describeWithShared } from "../support/Shared.js"

const post = async (url: string, token: string, body: unknown) => {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() as any }
}

const INFO = {
  run_and_terminate: false,
  buffering: false,
  queue_threshold: 500,
  queue_messages_size: 0,
  next_run_datetime: null,
  last_run_datetime: null
}

const registration = (id: string) => ({
  query: REGISTER_CONNECTOR,
  variables: {
    input: registrationInput(id, { name: "Stand-in test" })
  }
})

const queueExists = async (queue: string) => {
  const model = await amqp.connect(LOCAL_AMQP_URL)
  try {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    await channel.checkQueue(queue)
    return true
  } catch {
    return false
  } finally {
    await model.close().catch(() => undefined)
  }
}

describeWithShared("OpenCTI stand-in", () => {
  it("answers 400 to documents the 6.8.10 schema rejects, and records them", async () => {
    const platform = await startOpenCtiStandIn({ declareQueues: false })
    try {
      const unknownField = await post(platform.url, platform.token, {
        query: "query { about { jwks } }",
        variables: {}
      })
      expect(unknownField.status).toBe(400)
      expect(unknownField.body.errors[0].message).toContain("Cannot query field")
      const badVariables = await post(platform.url, platform.token, {
        query: PING_CONNECTOR,
        variables: { id: "x", state: "null", connectorInfo: { ...INFO, queue_threshold: null } }
      })
      expect(badVariables.status).toBe(400)
      expect(platform.invalidRequests).toHaveLength(2)
    } finally {
      await platform.close()
    }
  })

  it("refuses a wrong token like the platform (AUTH_REQUIRED)", async () => {
    const platform = await startOpenCtiStandIn({ declareQueues: false })
    try {
      const answer = await post(platform.url, "wrong", {
        query: "query healthCheck { about { version } }",
        variables: {}
      })
      expect(answer.status).toBe(200)
      expect(answer.body.errors[0]).toMatchObject({ name: "AUTH_REQUIRED" })
      expect(platform.invalidRequests).toEqual([])
    } finally {
      await platform.close()
    }
  })

  it("declares the push and listen queues in RabbitMQ at registration and deletes them on close", async () => {
    const platform = await startOpenCtiStandIn()
    const id = crypto.randomUUID()
    try {
      const answer = await post(platform.url, platform.token, registration(id))
      expect(answer.body.data.registerConnector.config.push).toBe(`push_${id}`)
      expect(await queueExists(`push_${id}`)).toBe(true)
      expect(await queueExists(`listen_${id}`)).toBe(true)
    } finally {
      await platform.close()
    }
    expect(await queueExists(`push_${id}`)).toBe(false)
  })

  it("after a reset, the next ping is not stored and sees the empty state; the one after is stored", async () => {
    const platform = await startOpenCtiStandIn({ declareQueues: false })
    const id = crypto.randomUUID()
    try {
      await post(platform.url, platform.token, registration(id))
      const ping = (state: string) =>
        post(platform.url, platform.token, { query: PING_CONNECTOR, variables: { id, state, connectorInfo: INFO } })
      expect((await ping("{\"a\":1}")).body.data.pingConnector.connector_state).toBe("{\"a\":1}")
      await platform.resetState(id)
      expect((await ping("{\"a\":1}")).body.data.pingConnector.connector_state).toBe("")
      expect((await ping("null")).body.data.pingConnector.connector_state).toBe("null")
      expect(platform.invalidRequests).toEqual([])
    } finally {
      await platform.close()
    }
  })
})
