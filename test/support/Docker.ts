/**
 * The image as users get it: built from the repository's Dockerfile by a real Docker engine, run with
 * `docker run`. Free of vitest, so that the container benchmark uses the same build.
 *
 * The base image: `$NODE_IMAGE` when set; otherwise, when `../shared` is present (CI), the local stand-in
 * for the official `node:<major>-bookworm-slim` that `../shared/tools/node-base-image.sh` makes (no
 * container registry is reachable there), for the Node major the Dockerfile names; otherwise the
 * Dockerfile's own default, pulled from Docker Hub.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { REPO_ROOT, sharedAvailable, sharedPath } from "./SharedPaths.js"

/** The tag the container tests and benchmark build; rebuilding it reuses Docker's layer cache. */
export const IMAGE_TAG = "spycloud-opencti-connector:test"

export interface CommandResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end without blocking the event loop (the stand-ins answer meanwhile). */
export const runCommand = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly timeoutMs?: number; readonly cwd?: string } = {}
): Promise<CommandResult> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`
      child.kill("SIGKILL")
    }, options.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` })
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const tail = (text: string, lines = 30) => text.trim().split("\n").slice(-lines).join("\n")

/** `docker <args>`; rejects with the command and its output unless it exits 0. */
export const docker = async (args: ReadonlyArray<string>, timeoutMs = 120_000): Promise<string> => {
  const result = await runCommand("docker", args, { timeoutMs })
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(" ")} exited ${result.code}:\n${tail(`${result.stdout}\n${result.stderr}`)}`)
  }
  return result.stdout
}

/** The Node major of the Dockerfile's default base image (`ARG NODE_IMAGE=node:24…`). */
export const dockerfileNodeMajor = (): string => {
  const match = /^ARG NODE_IMAGE=node:(\d+)/m.exec(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"))
  if (match === null) throw new Error("the Dockerfile has no ARG NODE_IMAGE=node:<major>… line")
  return match[1]!
}

/**
 * The base image to build on (see the module comment), or undefined for the Dockerfile's default.
 * Rejects, with the reason, when the local base image cannot be made (no Docker engine, no packages).
 */
export const baseImage = async (): Promise<string | undefined> => {
  if (process.env.NODE_IMAGE !== undefined && process.env.NODE_IMAGE !== "") return process.env.NODE_IMAGE
  const script = sharedPath("tools/node-base-image.sh")
  if (!sharedAvailable || !existsSync(script)) return undefined
  const result = await runCommand("bash", [script, "--major", dockerfileNodeMajor()], { timeoutMs: 900_000 })
  const tag = result.stdout.trim().split("\n").at(-1) ?? ""
  if (result.code !== 0 || tag === "") {
    throw new Error(`${script} could not provide a base image (exit ${result.code}):\n${tail(result.stderr)}`)
  }
  return tag
}

/** Fails with the reason when no Docker engine answers. */
export const requireDockerEngine = async (): Promise<string> => {
  const result = await runCommand("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 30_000 })
  if (result.code !== 0) {
    throw new Error(
      `No Docker engine answers (docker version exited ${result.code}): ${
        tail(result.stderr, 5)
      }. The container test needs one (start dockerd, or run ../shared/tools/node-base-image.sh).`
    )
  }
  return result.stdout.trim()
}

/** Builds the Dockerfile (host network: the build's npm ci needs the registry) and returns the tag. */
export const buildImage = async (tag = IMAGE_TAG): Promise<{ readonly tag: string; readonly base: string }> => {
  const base = await baseImage()
  await requireDockerEngine()
  await docker(
    [
      "build",
      "--network",
      "host",
      ...(base === undefined ? [] : ["--build-arg", `NODE_IMAGE=${base}`]),
      "-t",
      tag,
      "."
    ],
    900_000
  )
  return { tag, base: base ?? "the Dockerfile's default" }
}

/** A container name no other run uses. */
export const uniqueName = (purpose: string) =>
  `spycloud-connector-${purpose}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

/** Removes containers (and their anonymous volumes), whatever their state; missing ones are ignored. */
export const removeContainers = async (names: ReadonlyArray<string>): Promise<void> => {
  if (names.length > 0) await runCommand("docker", ["rm", "--force", "--volumes", ...names], { timeoutMs: 60_000 })
}

/** `docker inspect --format <format>` of one container. */
export const inspect = async (name: string, format: string): Promise<string> =>
  (await docker(["inspect", "--format", format, name], 30_000)).trim()

/** The flags of a hardened deployment: read-only root, tmpfs /tmp, no capabilities, no privilege gain. */
export const HARDENED_FLAGS = [
  "--network",
  "host",
  "--read-only",
  "--tmpfs",
  "/tmp",
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges"
] as const

/** `-e NAME=value` for each variable. */
export const envFlags = (env: Readonly<Record<string, string>>): Array<string> =>
  Object.entries(env).flatMap(([name, value]) => ["-e", `${name}=${value}`])
