/**
 * `__metadata__/connector_manifest.json` against the OpenCTI catalog's rules. The allowed values come from
 * the connectors repository's validators (../shared/opencti-catalog/_manifest_validators.py), read as text;
 * its two prefix rules (`source_code` under the connectors repository, `container_image` under `opencti/`)
 * hold only for connectors inside that repository, so this one checks its own repository and image instead.
 * The catalog fragment the platform finally reads is built from the manifest and checked against the
 * fragment schema.
 */
import { expect, it } from "@effect/vitest"
import addFormats from "ajv-formats"
import { Ajv2020 } from "ajv/dist/2020.js"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as YAML from "yaml"
import { drawLogo, LOGO_FILE, LOGO_SIZE } from "../../scripts/draw-logo.js"
import { CONNECTOR_SLUG } from "../../src/opencti/Registration.js"
import { describeWithShared, REPO_ROOT, sharedPath } from "../support/Shared.js"

const read = (file: string) => readFileSync(resolve(REPO_ROOT, file), "utf8")
const MANIFEST = JSON.parse(read("__metadata__/connector_manifest.json")) as Record<string, unknown>
const PACKAGE = JSON.parse(read("package.json")) as {
  readonly version: string
  readonly repository: { readonly url: string }
  readonly homepage: string
}

/** The string members of a Python set literal `NAME = { "a", "b", ... }` in the validators. */
const pythonSet = (source: string, name: string): ReadonlySet<string> => {
  const body = new RegExp(`^${name} = \\{([^}]*)\\}`, "m").exec(source)?.[1]
  if (body === undefined) throw new Error(`${name} not found in _manifest_validators.py`)
  return new Set([...body.matchAll(/"([^"]*)"/g)].map((match) => match[1]!))
}

const pythonString = (source: string, name: string): string => {
  const value = new RegExp(`^${name} = "([^"]*)"`, "m").exec(source)?.[1]
  if (value === undefined) throw new Error(`${name} not found in _manifest_validators.py`)
  return value
}

const isNonEmptyText = (value: unknown) => typeof value === "string" && value.trim() !== ""
const isIsoDate = (value: unknown) =>
  typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value))
const isOneToThreeOf = (value: unknown, allowed: ReadonlySet<string>) =>
  Array.isArray(value) && value.length >= 1 && value.length <= 3 && new Set(value).size === value.length &&
  value.every((item) => typeof item === "string" && allowed.has(item))

/** The predicates of the validators this manifest must pass, by field (see the file comment for the two left out). */
const RULES = (source: string): ReadonlyArray<readonly [string, string, (value: unknown) => boolean]> => [
  ["title", "is_valid_str", isNonEmptyText],
  ["slug", "is_valid_str", isNonEmptyText],
  ["description", "is_valid_str", isNonEmptyText],
  ["short_description", "is_valid_str", isNonEmptyText],
  ["manager_supported", "is_boolean", (value) => typeof value === "boolean"],
  ["verified", "is_boolean", (value) => typeof value === "boolean"],
  ["playbook_supported", "is_boolean", (value) => typeof value === "boolean"],
  ["last_verified_date", "is_valid_date_str", (value) => value === null || isIsoDate(value)],
  ["use_cases", "is_valid_use_cases", (value) => isOneToThreeOf(value, pythonSet(source, "VALID_USE_CASES"))],
  [
    "solution_categories",
    "is_valid_solution_categories",
    (value) => isOneToThreeOf(value, pythonSet(source, "VALID_SOLUTION_CATEGORIES"))
  ],
  ["license_type", "is_valid_license_type", (value) => pythonSet(source, "VALID_LICENSE_TYPES").has(value as string)],
  [
    "max_confidence_level",
    "is_valid_max_confidence_level",
    (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100
  ],
  [
    "container_type",
    "is_valid_container_type",
    (value) => pythonSet(source, "VALID_CONTAINER_TYPES").has(value as string)
  ]
]

/** Predicates of the validators that do not apply outside the connectors repository. */
const NOT_APPLICABLE = ["is_valid_source_code", "is_valid_container_image"]

/** The catalog fragment the catalog build makes of a manifest and its config schema (renamed keys). */
const fragmentOf = (manifest: Record<string, unknown>, configSchema: unknown) => ({
  id: `${String(manifest.slug)}-${String(manifest.container_version)}`,
  title: manifest.title,
  slug: manifest.slug,
  description: manifest.description,
  short_description: manifest.short_description,
  logo: `data:image/png;base64,${readFileSync(LOGO_FILE).toString("base64")}`,
  use_cases: manifest.use_cases,
  solution_categories: manifest.solution_categories,
  license_type: manifest.license_type,
  // A missing contact is an empty string in the fragment.
  contact: manifest.contact ?? "",
  verified: manifest.verified,
  last_verified_date: manifest.last_verified_date,
  subscription_link: manifest.subscription_link,
  source_code: manifest.source_code,
  manager_supported: manifest.manager_supported,
  min_version: String(manifest.support_version).replace(/^>=\s*/, ""),
  version: manifest.container_version,
  image_name: manifest.container_image,
  image_type: manifest.container_type,
  platform: "OpenCTI",
  integration_type: "connector",
  additional_properties: {
    playbook_supported: manifest.playbook_supported,
    max_confidence_level: manifest.max_confidence_level
  },
  config_schema: configSchema
})

describeWithShared("the catalog manifest", () => {
  const validators = () => readFileSync(sharedPath("opencti-catalog/_manifest_validators.py"), "utf8")

  it("has the fields of the catalog's manager-supported example", () => {
    const example = JSON.parse(
      readFileSync(sharedPath("opencti-catalog/examples/alienvault.connector_manifest.json"), "utf8")
    ) as Record<string, unknown>
    expect(Object.keys(MANIFEST).sort()).toEqual(Object.keys(example).sort())
    expect(MANIFEST).toMatchObject({ manager_supported: true, container_type: "EXTERNAL_IMPORT" })
  })

  it("passes every rule of _manifest_validators.py that applies outside the connectors repository", () => {
    const source = validators()
    const rules = RULES(source)
    // A rule added to the validators must be decided on here.
    const predicates = [...source.matchAll(/^def (is_\w+)\(/gm)].map((match) => match[1]!)
    const checked = new Set(rules.map(([, predicate]) => predicate))
    expect(predicates.filter((name) => !checked.has(name) && !NOT_APPLICABLE.includes(name))).toEqual([])
    for (const [field, predicate, holds] of rules) {
      expect(holds(MANIFEST[field]), `${field} (${predicate}): ${JSON.stringify(MANIFEST[field])}`).toBe(true)
    }
    // The rules that do not apply: this connector is not in that repository and not an opencti/ image.
    expect(String(MANIFEST.source_code).startsWith(pythonString(source, "SOURCE_CODE_PREFIX"))).toBe(false)
    expect(String(MANIFEST.container_image).startsWith(pythonString(source, "CONTAINER_IMAGE_PREFIX"))).toBe(false)
  })

  it("the rules also catch what is wrong", () => {
    const broken: Record<string, unknown> = {
      ...MANIFEST,
      title: " ",
      manager_supported: "true",
      last_verified_date: "yesterday",
      use_cases: ["Spying"],
      solution_categories: [],
      license_type: "Apache-2.0",
      max_confidence_level: 101,
      container_type: "EXTERNAL"
    }
    const failing = RULES(validators()).filter(([field, , holds]) => !holds(broken[field])).map(([field]) => field)
    expect(failing).toEqual([
      "title",
      "manager_supported",
      "last_verified_date",
      "use_cases",
      "solution_categories",
      "license_type",
      "max_confidence_level",
      "container_type"
    ])
  })

  it.skipIf(spawnSync("python3", ["--version"]).status !== 0)(
    "passes the same predicates run by Python from _manifest_validators.py itself",
    () => {
      const script = [
        "import json, sys",
        "sys.path.insert(0, sys.argv[1])",
        "import _manifest_validators as v",
        "m = json.load(open(sys.argv[2]))",
        "print(json.dumps({field: getattr(v, name)(m[field]) for field, name in json.loads(sys.argv[3])}))"
      ].join("\n")
      const rules = RULES(validators()).map(([field, predicate]) => [field, predicate])
      const result = spawnSync("python3", [
        "-c",
        script,
        sharedPath("opencti-catalog"),
        resolve(REPO_ROOT, "__metadata__/connector_manifest.json"),
        JSON.stringify(rules.filter(([field]) => MANIFEST[field!] !== null))
      ], { encoding: "utf8" })
      expect(result.status, result.stderr).toBe(0)
      const verdicts = JSON.parse(result.stdout) as Record<string, boolean>
      expect(Object.entries(verdicts).filter(([, ok]) => !ok)).toEqual([])
      expect(Object.keys(verdicts).length).toBeGreaterThan(10)
    }
  )

  it("makes a catalog fragment that the fragment schema accepts", () => {
    const schema = JSON.parse(
      readFileSync(sharedPath("opencti-catalog/connector_manifest_fragment_schema.json"), "utf8")
    ) as object
    const ajv = new Ajv2020({ allErrors: true, strict: false })
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    const configSchema = JSON.parse(read("__metadata__/connector_config_schema.json")) as unknown
    const fragment = fragmentOf(MANIFEST, configSchema)
    expect(validate(fragment), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ ...fragment, slug: "SpyCloud TS", image_name: "Ghcr.io/x", version: "latest" })).toBe(false)
    expect(validate.errors!.map((error) => error.instancePath).sort()).toEqual(["/image_name", "/slug", "/version"])
  })
})

it("names this repository, our image at the package's version, and the slug registration sends", () => {
  const repository = PACKAGE.repository.url.replace(/^git\+/, "").replace(/\.git$/, "")
  expect(MANIFEST.source_code).toBe(repository)
  expect(PACKAGE.homepage.startsWith(repository)).toBe(true)
  expect(MANIFEST.container_version).toBe(PACKAGE.version)
  expect(MANIFEST.support_version).toMatch(/^>= \d+\.\d+\.\d+$/)
  expect(MANIFEST.slug).toBe(CONNECTOR_SLUG)
  const compose = YAML.parse(read("docker-compose.yml")) as { services: Record<string, { image: string }> }
  expect(compose.services["connector-spycloud"]!.image).toBe(`${String(MANIFEST.container_image)}:${PACKAGE.version}`)
  expect(read("README.md")).toContain(String(MANIFEST.container_image))
})

it("has a logo: the PNG scripts/draw-logo.ts draws (run it after changing the drawing)", () => {
  expect(MANIFEST.logo).toBe("__metadata__/logo.png")
  const png = readFileSync(LOGO_FILE)
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR")
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([LOGO_SIZE, LOGO_SIZE])
  expect(png.equals(drawLogo())).toBe(true)
})
