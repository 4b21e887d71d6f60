/**
 * A RabbitMQ node of the soak's own, so that stopping the broker never touches one that others use: its
 * own node name, ports, data, logs, Erlang cookie (HOME) and configuration (no plugins, so nothing binds
 * the management or Prometheus ports), in a temporary directory removed at the end. `stopApp`/`startApp`
 * are `rabbitmqctl stop_app` / `start_app`: the node stays up, the broker in it stops and starts, as in a
 * broker restart. `existingRabbitMq` drives a node the user points at instead.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { freePort } from "../../test/support/FreePort.js"

const run = promisify(execFile)

/** The scripts themselves: the packaged wrappers switch to the `rabbitmq` user and drop the environment. */
const RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"
const tool = (name: string) => existsSync(join(RABBITMQ_BIN, name)) ? join(RABBITMQ_BIN, name) : name

export interface RabbitMqNode {
  readonly node: string
  readonly port: number
  readonly amqpUrl: string
  readonly stopApp: () => Promise<void>
  readonly startApp: () => Promise<void>
  /** Stops the node when the soak started it; leaves a user's node running. */
  readonly stop: () => Promise<void>
}

const control = (node: string, env: NodeJS.ProcessEnv) => async (...args: ReadonlyArray<string>) => {
  try {
    await run(tool("rabbitmqctl"), ["-n", node, ...args], { env, timeout: 120_000 })
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(`rabbitmqctl -n ${node} ${args.join(" ")} failed: ${stderr?.trim() || String(error)}`)
  }
}

const controls = (node: string, port: number, env: NodeJS.ProcessEnv, stop: () => Promise<void>): RabbitMqNode => {
  const ctl = control(node, env)
  return {
    node,
    port,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`,
    stopApp: () => ctl("stop_app"),
    startApp: async () => {
      await ctl("start_app")
      await ctl("await_startup")
    },
    stop
  }
}

/** A node the user runs (`--rabbitmq-node`, `--rabbitmq-port`): the soak stops and starts its broker. */
export const existingRabbitMq = (node: string, port: number): RabbitMqNode =>
  controls(node, port, process.env, async () => undefined)

/** Starts a private node and resolves once its broker accepts connections. */
export const startPrivateRabbitMq = async (): Promise<RabbitMqNode> => {
  const base = mkdtempSync(join(tmpdir(), "soak-rabbitmq-"))
  const port = await freePort()
  const distPort = await freePort()
  const node = `soak-${process.pid}@localhost`
  mkdirSync(join(base, "home"))
  writeFileSync(join(base, "enabled_plugins"), "[].\n")
  // The system's rabbitmq.conf names the shared listener; this node reads its own.
  writeFileSync(join(base, "rabbitmq.conf"), `listeners.tcp.local = 127.0.0.1:${port}\n`)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(base, "home"),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(base, "rabbitmq.conf"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
    RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
    RABBITMQ_LOG_BASE: join(base, "log"),
    RABBITMQ_PID_FILE: join(base, "rabbitmq.pid")
  }
  const server: ChildProcess = spawn(tool("rabbitmq-server"), [], { env, stdio: "ignore" })
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()))
  const cleanUp = () => rmSync(base, { recursive: true, force: true })
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      await control(node, env)("stop").catch(() => server.kill("SIGTERM"))
      await exited
    }
    cleanUp()
  }
  try {
    // `wait` waits for the pid file, then for the broker to have started.
    await control(node, env)("wait", join(base, "rabbitmq.pid"), "--timeout", "120")
  } catch (error) {
    await stop()
    throw error
  }
  return controls(node, port, env, stop)
}
