/** The validator must reject what it exists to catch, or the tests that rely on it prove nothing. */
import { expect, it } from "@effect/vitest"
import { makeMappingContext } from "../../src/stix/MappingContext.js"
import { describeWithShared } from "./Shared.js"
import { stixValidator } from "./StixValidator.js"

const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"
const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
const sco = (type: string, id: string, properties: Record<string, unknown>) => ({
  type,
  spec_version: "2.1",
  id: `${type}--${id}`,
  ...properties,
  object_marking_refs: [MARKING],
  x_opencti_created_by_ref: AUTHOR
})
const UUID5 = "6469e3a9-b053-5e34-a025-9396ae051d26"
const incident = {
  type: "incident",
  spec_version: "2.1",
  id: "incident--71266bc6-5763-56ea-99f6-16fa4e2781a6",
  created_by_ref: AUTHOR,
  created: "2024-12-04T00:00:00.000Z",
  modified: "2024-12-04T00:00:00.000Z",
  name: "n",
  object_marking_refs: [MARKING],
  first_seen: "2024-12-04T00:00:00.000Z",
  incident_type: "data-breach",
  severity: "high",
  source: "Unknown"
}

describeWithShared("StixValidator", () => {
  const validate = (object: unknown) => stixValidator().validateObject(object)

  it("accepts the author, every TLP marking and well-formed observables", () => {
    for (const tlp of ["white", "green", "amber", "amber+strict", "red"] as const) {
      const context = makeMappingContext({ connectorName: "SpyCloud", tlp, includeSensitiveData: false })
      expect(validate(context.author)).toStrictEqual([])
      expect(validate(context.marking)).toStrictEqual([])
    }
    expect(validate(sco("ipv6-addr", UUID5, { value: "::ffff:192.0.2.128" }))).toStrictEqual([])
    expect(validate(sco("hostname", UUID5, { value: "DESKTOP-1" }))).toStrictEqual([])
    expect(validate(sco("domain-name", UUID5, { value: "пример.com" }))).toStrictEqual([])
    expect(validate(incident)).toStrictEqual([])
  })

  it.each([
    ["a malformed id", sco("url", "not-a-uuid", { value: "http://x.io/" })],
    ["a URL that is not a URI", sco("url", UUID5, { value: "demo.inertiajs.com/x" })],
    ["a MAC address not in STIX form", sco("mac-addr", UUID5, { value: "00-0A-95-9D-68-16" })],
    ["an email address STIX cannot hold", sco("email-addr", UUID5, { value: "ü@example.com" })],
    ["an IPv4 address with a leading zero", sco("ipv4-addr", UUID5, { value: "01.2.3.4" })],
    ["a domain that is no hostname", sco("domain-name", UUID5, { value: "not a domain" })],
    ["a custom observable without its value", sco("user-agent", UUID5, {})],
    ["an observable with STIX's reserved severity", sco("hostname", UUID5, { value: "h", severity: "x" })],
    ["an unknown type", sco("made-up", UUID5, { value: "x" })],
    ["an incident with a severity outside OpenCTI's vocabulary", { ...incident, severity: "urgent" }],
    ["an incident whose first_seen is not a timestamp", { ...incident, first_seen: "2024-12-04" }],
    ["an incident whose created lacks milliseconds", { ...incident, created: "2024-12-04T00:00:00Z" }],
    ["an incident without a name", { ...incident, name: undefined }]
  ])("rejects %s", (_, object) => {
    expect(validate(JSON.parse(JSON.stringify(object)))).not.toStrictEqual([])
  })

  it("rejects duplicate ids and references to objects outside the bundle", () => {
    const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })
    const bundle = (objects: Array<unknown>) => ({
      type: "bundle",
      id: "bundle--2f1b8e52-4c1e-4b7a-9a53-0c2a8b1e9f10",
      objects
    })
    expect(stixValidator().validateBundle(bundle([context.author, context.marking, incident]))).toStrictEqual([])
    expect(stixValidator().validateBundle(bundle([context.author, incident]))).toStrictEqual([
      `incident ${incident.id} refers to ${MARKING}, which is not in the bundle`
    ])
    expect(stixValidator().validateBundle(bundle([context.author, context.marking, incident, incident]))).toStrictEqual(
      [
        `bundle: duplicate id ${incident.id}`
      ]
    )
    expect(stixValidator().validateBundle({ ...bundle([context.author]), id: "bundle--x" })).not.toStrictEqual([])
  })
})
