/**
 * Validates STIX objects and bundles against the OASIS STIX 2.1 JSON schemas in ../shared/stix2-json-schemas
 * (draft 2020-12, through ajv), for any test that produces STIX. Use it inside `describeWithShared`:
 *
 *   const errors = stixValidator().validateBundle(bundle)   // [] when valid
 *   assertValidBundle(bundle)                               // throws, listing every error
 *
 * What is checked beyond the schemas, and the few places where the schemas are adjusted:
 * - OpenCTI's custom observables (`hostname`, `user-agent`, ...) have no OASIS schema: they are checked
 *   against the common observable schema, plus their own required properties (pycti's definitions).
 * - Incidents carry OpenCTI's `severity` (read by pycti and the platform); STIX 2.1 reserves that name and
 *   the OASIS core schema forbids it, so it is checked separately, against OpenCTI's vocabulary.
 * - The `ipv6-addr` value pattern of the schemas lost its backslashes (`d` for `\d`, `s*` for `\s*`); the
 *   intended pattern is restored, or every IPv6 address with an IPv4 tail would fail.
 * - `idn-hostname`, which ajv-formats lacks, is checked as "has an IDNA (punycode) form that is a hostname".
 * - In a bundle: ids are unique, and every reference points to an object of the bundle (pycti's splitter
 *   would otherwise drop the reference or the relationship).
 */
import addFormats from "ajv-formats"
import { fullFormats } from "ajv-formats/dist/formats.js"
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { domainToASCII } from "node:url"
import { sharedPath } from "./Shared.js"

export interface StixValidator {
  /** The problems of one object; empty when it is valid. */
  readonly validateObject: (object: unknown) => ReadonlyArray<string>
  /** The problems of a bundle: its envelope, each object, duplicate ids and references leaving the bundle. */
  readonly validateBundle: (bundle: unknown) => ReadonlyArray<string>
}

const SCHEMA_BASE = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

/** pycti's custom observables (`CustomObservable...`) and the properties each requires. */
const OPENCTI_OBSERVABLES: Readonly<Record<string, ReadonlyArray<string>>> = {
  hostname: ["value"],
  "user-agent": ["value"],
  text: ["value"],
  "cryptocurrency-wallet": ["value"],
  "cryptographic-key": ["value"],
  credential: ["value"],
  "phone-number": ["value"],
  "tracking-number": ["value"],
  "bank-account": ["iban"],
  "payment-card": ["card_number"]
}

/** OpenCTI's incident severity vocabulary (`incident_severity_ov`). */
const INCIDENT_SEVERITIES = new Set(["low", "medium", "high", "critical"])

const TIMESTAMP =
  /^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$/

/** The schema file of a STIX type, among the files present. */
const schemaFileOf = (type: string, files: ReadonlySet<string>): string | undefined => {
  if (type === "marking-definition") return "common/marking-definition.json"
  for (const folder of ["observables", "sdos", "sros"]) {
    if (files.has(`${folder}/${type}.json`)) return `${folder}/${type}.json`
  }
  return undefined
}

/** Restores the backslashes the OASIS ipv6-addr pattern lost. */
const fixIpv6Pattern = (pattern: string): string =>
  pattern
    .replaceAll("2[0-4]d", "2[0-4]\\d")
    .replaceAll("1dd", "1\\d\\d")
    .replaceAll("[1-9]?d)", "[1-9]?\\d)")
    .replaceAll("(.(25", "(\\.(25")
    .replace(/^\^s\*/, "^\\s*")
    .replace("(%.+)?s*", "(%.+)?\\s*")

const loadSchemas = (directory: string) => {
  const schemas: Array<Record<string, any>> = []
  const files = new Set<string>()
  for (const folder of ["common", "observables", "sdos", "sros"]) {
    for (const file of readdirSync(join(directory, folder))) {
      if (!file.endsWith(".json")) continue
      files.add(`${folder}/${file}`)
      const schema = JSON.parse(readFileSync(join(directory, folder, file), "utf8"))
      if (`${folder}/${file}` === "observables/ipv6-addr.json") {
        const value = schema.allOf[1].properties.value
        value.pattern = fixIpv6Pattern(value.pattern)
      }
      schemas.push(schema)
    }
  }
  return { schemas, files }
}

const describeErrors = (label: string, errors: ReadonlyArray<ErrorObject> | null | undefined): Array<string> =>
  (errors ?? []).map((error) => `${label}${error.instancePath || "/"} ${error.message ?? error.keyword}`)

const labelOf = (object: any): string =>
  `${typeof object?.type === "string" ? object.type : "?"} ${typeof object?.id === "string" ? object.id : "(no id)"}`

/** Every id an object refers to (`*_ref` and `*_refs` properties). */
export const referencesOf = (object: Record<string, unknown>): Array<string> => {
  const refs: Array<string> = []
  for (const [key, value] of Object.entries(object)) {
    if (key.endsWith("_ref") && typeof value === "string") refs.push(value)
    if (key.endsWith("_refs") && Array.isArray(value)) {
      for (const ref of value) if (typeof ref === "string") refs.push(ref)
    }
  }
  return refs
}

export const makeStixValidator = (directory = sharedPath("stix2-json-schemas")): StixValidator => {
  // The schemas' patterns are ECMA-262 without the `u` flag (`\-` outside a class is invalid with it).
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false })
  addFormats.default(ajv)
  ajv.addFormat("idn-hostname", (value: string) => {
    const ascii = domainToASCII(value)
    return ascii !== "" && ascii.length <= 253 && (fullFormats.hostname as RegExp).test(ascii)
  })
  const { files, schemas } = loadSchemas(directory)
  for (const schema of schemas) ajv.addSchema(schema)

  const compiled = new Map<string, ValidateFunction>()
  const validatorFor = (file: string): ValidateFunction => {
    let validate = compiled.get(file)
    if (validate === undefined) {
      validate = ajv.getSchema(SCHEMA_BASE + file)
      if (validate === undefined) throw new Error(`schema ${file} not found under ${directory}`)
      compiled.set(file, validate)
    }
    return validate
  }

  const check = (file: string, label: string, value: unknown): Array<string> => {
    const validate = validatorFor(file)
    return validate(value) ? [] : describeErrors(label, validate.errors)
  }

  const validateIncident = (object: Record<string, unknown>, label: string): Array<string> => {
    const { severity, ...standard } = object
    const errors = check("sdos/incident.json", label, standard)
    if (severity !== undefined && !(typeof severity === "string" && INCIDENT_SEVERITIES.has(severity))) {
      errors.push(`${label}/severity is not one of low, medium, high, critical`)
    }
    for (const property of ["first_seen", "last_seen"]) {
      const value = object[property]
      if (value !== undefined && !(typeof value === "string" && TIMESTAMP.test(value))) {
        errors.push(`${label}/${property} is not a STIX timestamp`)
      }
    }
    for (const property of ["incident_type", "source"]) {
      if (object[property] !== undefined && typeof object[property] !== "string") {
        errors.push(`${label}/${property} is not a string`)
      }
    }
    return errors
  }

  const validateObject = (object: unknown): Array<string> => {
    if (object === null || typeof object !== "object" || Array.isArray(object)) return ["not a JSON object"]
    const record = object as Record<string, unknown>
    const label = labelOf(record)
    const type = record.type
    if (typeof type !== "string") return [`${label} has no type`]
    if (type === "incident") return validateIncident(record, label)
    const custom = OPENCTI_OBSERVABLES[type]
    if (custom !== undefined) {
      const errors = check("common/cyber-observable-core.json", label, record)
      for (const property of custom) {
        const value = record[property]
        if (typeof value !== "string" || value === "") {
          errors.push(`${label}/${property} is required (a non-empty string)`)
        }
      }
      if (record.spec_version !== "2.1") errors.push(`${label}/spec_version must be 2.1`)
      return errors
    }
    const file = schemaFileOf(type, files)
    if (file === undefined) return [`${label}: no STIX 2.1 or OpenCTI definition for type ${type}`]
    return check(file, label, record)
  }

  const validateBundle = (bundle: unknown): Array<string> => {
    if (bundle === null || typeof bundle !== "object") return ["bundle: not a JSON object"]
    const { objects } = bundle as { objects?: unknown }
    if (!Array.isArray(objects)) return ["bundle: objects is not a list"]
    // The envelope against bundle.json (one object suffices for it); each object against its own schema.
    const errors = check("common/bundle.json", "bundle", { ...bundle, objects: objects.slice(0, 1) })
    const ids = new Set<string>()
    for (const object of objects) {
      errors.push(...validateObject(object))
      const id = (object as { id?: unknown })?.id
      if (typeof id === "string") {
        if (ids.has(id)) errors.push(`bundle: duplicate id ${id}`)
        ids.add(id)
      }
    }
    for (const object of objects) {
      if (object === null || typeof object !== "object") continue
      for (const ref of referencesOf(object as Record<string, unknown>)) {
        if (!ids.has(ref)) errors.push(`${labelOf(object)} refers to ${ref}, which is not in the bundle`)
      }
    }
    return errors
  }

  return { validateObject, validateBundle }
}

let shared: StixValidator | undefined
/** One validator per test file (schemas are read and compiled once). */
export const stixValidator = (): StixValidator => (shared ??= makeStixValidator())

export const assertValidBundle = (bundle: unknown): void => {
  const errors = stixValidator().validateBundle(bundle)
  if (errors.length > 0) throw new Error(`invalid STIX bundle:\n${errors.join("\n")}`)
}

export const assertValidObjects = (objects: ReadonlyArray<unknown>): void => {
  const errors = objects.flatMap((object) => stixValidator().validateObject(object))
  if (errors.length > 0) throw new Error(`invalid STIX objects:\n${errors.join("\n")}`)
}
