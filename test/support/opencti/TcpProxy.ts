/**
 * A TCP proxy between a client and a server (e.g. the sink and RabbitMQ), to cut connections mid-flight
 * without touching the shared broker: `cut()` drops every open connection at once, `cutOnNextData()` does
 * so when a client next sends anything (that data is not forwarded: a broker lost in the middle of a
 * publish), `holdUp()` stops forwarding what the open connections' clients send (the server still answers
 * what it got), `refuse(true)` makes new connections fail (a broker that is down), `refuse(false)` lets them
 * through again. `tap` sees each new connection's bytes in both directions, as forwarded. `tcpProxy` /
 * `rabbitMqProxy` hold one for a scope and close it at its end.
 */
import { Effect, type Scope } from "effect"
import { createConnection, createServer, type Socket } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: () => number
  /** Bytes forwarded from clients to the server so far. */
  readonly bytesUp: () => number
  readonly cut: () => void
  readonly cutOnNextData: () => void
  readonly holdUp: () => void
  readonly refuse: (refusing: boolean) => void
  readonly close: () => Promise<void>
}

export interface ConnectionTap {
  readonly up: (chunk: Buffer) => void
  readonly down: (chunk: Buffer) => void
}

export const startTcpProxy = async (
  target: { readonly host: string; readonly port: number },
  options: { readonly tap?: () => ConnectionTap } = {}
): Promise<TcpProxy> => {
  const open = new Set<Socket>()
  const holds = new Set<() => void>()
  let accepted = 0
  let forwarded = 0
  let refusing = false
  let cutArmed = false
  const server = createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    accepted++
    const upstream = createConnection(target)
    const tap = options.tap?.()
    open.add(client)
    open.add(upstream)
    const hold = () => {
      client.unpipe(upstream)
      client.pause()
    }
    holds.add(hold)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
      holds.delete(hold)
    }
    // Registered before the pipe, so an armed cut happens before the chunk is forwarded.
    client.on("data", (chunk: Buffer) => {
      if (cutArmed) {
        cutArmed = false
        cut()
        return
      }
      forwarded += chunk.length
      tap?.up(chunk)
    })
    if (tap !== undefined) upstream.on("data", tap.down)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on("error", drop)
    upstream.on("error", drop)
    client.on("close", drop)
    upstream.on("close", drop)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  const cut = () => {
    for (const socket of open) socket.destroy()
    open.clear()
  }
  return {
    port,
    connections: () => accepted,
    bytesUp: () => forwarded,
    cut,
    cutOnNextData: () => {
      cutArmed = true
    },
    holdUp: () => {
      for (const hold of holds) hold()
    },
    refuse: (value) => {
      refusing = value
    },
    close: async () => {
      cut()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A proxy for the length of a scope. */
export const tcpProxy = (
  target: { readonly host: string; readonly port: number },
  options: { readonly tap?: () => ConnectionTap } = {}
): Effect.Effect<TcpProxy, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startTcpProxy(target, options)),
    (proxy) => Effect.promise(() => proxy.close())
  )

/** A proxy in front of the local (shared) RabbitMQ, for the length of a scope. */
export const rabbitMqProxy: Effect.Effect<TcpProxy, never, Scope.Scope> = tcpProxy({ host: "127.0.0.1", port: 5672 })
