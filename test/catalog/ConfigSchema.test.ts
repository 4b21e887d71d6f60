/**
 * `__metadata__/connector_config_schema.json` as the OpenCTI platform uses it: compiled by AJV with type
 * coercion (the platform refuses a manager-supported contract whose schema does not compile), then used to
 * validate a deployment's variables, which are all text (lists joined with commas).
 */
import { describe, expect, it } from "@effect/vitest"
import { Ajv as Ajv7 } from "ajv"
import addFormats from "ajv-formats"
import { Ajv2020 } from "ajv/dist/2020.js"
import { Effect, Either, Schema } from "effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as YAML from "yaml"
import { PLATFORM_SUPPLIED } from "../../scripts/config-docs.js"
import type { Setting } from "../../src/config/Setting.js"
import { SETTINGS } from "../../src/config/Settings.js"
import { REPO_ROOT } from "../support/Shared.js"

interface Property {
  readonly type: string
  readonly default?: unknown
  readonly format?: string
  readonly writeOnly?: boolean
  readonly items?: { readonly type: string }
}
interface ConfigSchema {
  readonly $schema: string
  readonly $id: string
  readonly type: "object"
  readonly properties: Readonly<Record<string, Property>>
  readonly required: ReadonlyArray<string>
  readonly additionalProperties: boolean
}

const read = (file: string) => readFileSync(resolve(REPO_ROOT, file), "utf8")
const SCHEMA = JSON.parse(read("__metadata__/connector_config_schema.json")) as ConfigSchema
const ALL: ReadonlyArray<Setting<unknown>> = Object.values(SETTINGS).flatMap((section) => Object.values(section))

/** The formats the platform registers (ajv-formats' `password` is a no-op marker). */
const PLATFORM_FORMATS = ["password", "uri", "duration", "email", "date-time", "date"] as const

/** The 2020-12 validator, strict: an unknown keyword or format is a compile error. */
const strictValidator = () => {
  const ajv = new Ajv2020({ coerceTypes: true, allErrors: true, strict: true })
  addFormats.default(ajv, [...PLATFORM_FORMATS])
  return ajv.compile(SCHEMA)
}

/** The platform's own compilation: the default AJV class, on type/properties/required/additionalProperties. */
const platformValidator = (properties: ConfigSchema["properties"], required: ReadonlyArray<string>) => {
  const ajv = new Ajv7({ coerceTypes: true, allErrors: true })
  addFormats.default(ajv, [...PLATFORM_FORMATS])
  return ajv.compile({ type: SCHEMA.type, properties, required, additionalProperties: SCHEMA.additionalProperties })
}

/** A variable's text as the platform validates it: list-typed ones split at commas, the rest as they are. */
const asPlatformValue = (name: string, text: string): unknown =>
  SCHEMA.properties[name]?.type === "array"
    ? text.split(",").map((item) => item.trim()).filter((item) => item !== "")
    : text

/** The uncommented `environment` of docker-compose.yml. */
const composeEnvironment = (): Record<string, string> => {
  const compose = YAML.parse(read("docker-compose.yml")) as {
    services: Record<string, { environment: ReadonlyArray<string> }>
  }
  const entries = compose.services["connector-spycloud"]!.environment.map((entry) => {
    const at = entry.indexOf("=")
    return [entry.slice(0, at), entry.slice(at + 1)] as const
  })
  return Object.fromEntries(entries)
}

const contractObject = (env: Readonly<Record<string, string>>) =>
  Object.fromEntries(
    Object.entries(env).filter(([name]) => name in SCHEMA.properties).map((
      [name, text]
    ) => [name, asPlatformValue(name, text)])
  )

/** The README's configuration table: its first column. */
const readmeVariables = () => {
  const readme = read("README.md")
  const table = readme.slice(readme.indexOf("<!-- config-table:start -->"), readme.indexOf("<!-- config-table:end -->"))
  return [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!)
}

describe("the catalog configuration schema", () => {
  it("compiles with AJV 2020-12 in strict mode, and the way the platform compiles it", () => {
    expect(SCHEMA.$schema).toBe("https://json-schema.org/draft/2020-12/schema")
    expect(() => new URL(SCHEMA.$id)).not.toThrow()
    expect(SCHEMA.additionalProperties).toBe(true)
    expect(typeof strictValidator()).toBe("function")
    expect(typeof platformValidator(SCHEMA.properties, SCHEMA.required)).toBe("function")
  })

  it("names every variable of the README table but those the platform sets itself (CONNECTOR_ID)", () => {
    const variables = readmeVariables()
    expect(variables).toHaveLength(ALL.length + ALL.filter((setting) => setting.fromFile).length)
    expect(PLATFORM_SUPPLIED).toEqual(["CONNECTOR_ID"])
    expect(variables.filter((name) => !(name in SCHEMA.properties))).toEqual(["CONNECTOR_ID"])
    expect(Object.keys(SCHEMA.properties).sort()).toEqual(variables.filter((name) => name !== "CONNECTOR_ID").sort())
  })

  it("requires what a catalog deployment needs, hides secrets, and has a description for every variable", () => {
    expect([...SCHEMA.required].sort()).toEqual(["OPENCTI_TOKEN", "OPENCTI_URL", "SPYCLOUD_API_KEY"])
    for (const setting of ALL.filter((s) => s.env in SCHEMA.properties)) {
      const property = SCHEMA.properties[setting.env]! as Property & { description?: string }
      expect(property.description, setting.env).toBe(setting.description)
      if (setting.secret) expect(property, setting.env).toMatchObject({ format: "password", writeOnly: true })
      else expect(property.writeOnly, setting.env).toBeUndefined()
    }
  })

  it("validates the environment of docker-compose.yml the way the platform does", () => {
    const env = composeEnvironment()
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["OPENCTI_URL", "SPYCLOUD_API_KEY", "CONNECTOR_ID"]))
    const strict = strictValidator()
    const object = contractObject(env)
    expect(strict(object), JSON.stringify(strict.errors)).toBe(true)
    // The platform validates the form's values: what the schema knows, with the variables it sets itself
    // (OPENCTI_URL, OPENCTI_TOKEN, CONNECTOR_TYPE, CONNECTOR_RUN_AND_TERMINATE) taken out, unknown ones refused.
    const excluded = ["OPENCTI_URL", "OPENCTI_TOKEN", "CONNECTOR_TYPE", "CONNECTOR_RUN_AND_TERMINATE"]
    const formValues = Object.fromEntries(
      Object.entries(contractObject(env)).filter(([name]) => !excluded.includes(name))
    )
    const properties = Object.fromEntries(Object.entries(SCHEMA.properties).filter(([name]) => name in formValues))
    const platform = platformValidator(
      properties,
      SCHEMA.required.filter((name) => !excluded.includes(name))
    )
    expect(platform(formValues), JSON.stringify(platform.errors)).toBe(true)
    // Coercion turned the texts into the schema's types.
    expect(object.SPYCLOUD_SEVERITY_LEVELS).toEqual([20, 25, 26, 30])
  })

  it("refuses values the connector refuses", () => {
    const validate = strictValidator()
    const wrong = {
      ...contractObject(composeEnvironment()),
      CONNECTOR_LOG_LEVEL: "loud",
      CONNECTOR_METRICS_PORT: "70000",
      CONNECTOR_DURATION_PERIOD: "an hour",
      SPYCLOUD_SEVERITY_LEVELS: ["7"],
      SPYCLOUD_API_BASE_URL: "not a url",
      OPENCTI_JSON_LOGGING: "maybe"
    }
    expect(validate(wrong)).toBe(false)
    expect(new Set(validate.errors!.map((error) => error.instancePath.split("/")[1]))).toEqual(
      new Set([
        "CONNECTOR_LOG_LEVEL",
        "CONNECTOR_METRICS_PORT",
        "CONNECTOR_DURATION_PERIOD",
        "SPYCLOUD_SEVERITY_LEVELS",
        "SPYCLOUD_API_BASE_URL",
        "OPENCTI_JSON_LOGGING"
      ])
    )
    const { SPYCLOUD_API_KEY: _, ...withoutKey } = contractObject(composeEnvironment())
    expect(validate(withoutKey)).toBe(false)
    expect(validate.errors!.map((error) => error.params)).toContainEqual({ missingProperty: "SPYCLOUD_API_KEY" })
  })

  it.effect("every default, written as the platform writes it into the environment, decodes to the connector's default", () =>
    Effect.gen(function*() {
      for (const setting of ALL.filter((s) => SCHEMA.properties[s.env]?.default !== undefined)) {
        const value = SCHEMA.properties[setting.env]!.default
        // The platform's text of a default: lists joined with commas, the rest stringified.
        const text = Array.isArray(value) ? value.join(",") : String(value)
        const fromSchema = yield* Effect.either(Schema.decode(setting.schema)(text))
        const fromTable = yield* Effect.either(Schema.decode(setting.schema)(setting.defaultText!))
        expect(Either.isRight(fromSchema), setting.env).toBe(true)
        expect(fromSchema, setting.env).toEqual(fromTable)
      }
    }))
})
