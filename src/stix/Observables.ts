/**
 * The observables of one record (docs/stix-mapping.md, "Observables"), each from one field, validated first: a
 * missing field gives nothing, a bad one is skipped with its reason. Values keep the form in which the official
 * connector hashes them unless STIX requires another (see each validator), so ids match the official connector's.
 */
import type { BreachRecord } from "../spycloud/BreachRecord.js"
import { isValidDomain } from "./DomainName.js"
import { emailValue } from "./EmailAddress.js"
import { fieldText, type SkipReason, usableText } from "./FieldText.js"
import { splitPath } from "./FilePath.js"
import { ipVersion } from "./IpAddress.js"
import { macValue } from "./MacAddress.js"
import type { MappingContext } from "./MappingContext.js"
import type { SkippedObservable } from "./RecordMapping.js"
import { redactCredentials } from "./SecretText.js"
import { deterministicId, valueId } from "./StixId.js"
import type { StixObject } from "./StixObject.js"
import { urlValue, withoutUrlCredentials } from "./UrlValue.js"

export interface RecordObservables {
  /** In creation order, ids unique. */
  readonly objects: ReadonlyArray<StixObject>
  readonly skipped: ReadonlyArray<SkippedObservable>
  /** The IPs that became observables, in list order (the incident name may use the first). */
  readonly ips: ReadonlyArray<string>
}

/** Collects one record's observables; a value seen twice (`target_domain` = `target_subdomain`) is kept once. */
class Collector {
  readonly objects: Array<StixObject> = []
  readonly skipped: Array<SkippedObservable> = []
  private readonly ids = new Set<string>()
  private readonly markingRefs: ReadonlyArray<string>
  private readonly authorId: string

  constructor(context: MappingContext) {
    this.markingRefs = context.markingRefs
    this.authorId = context.authorId
  }

  private push(object: StixObject): string {
    if (!this.ids.has(object.id)) {
      this.ids.add(object.id)
      this.objects.push(object)
    }
    return object.id
  }

  // One literal per shape, in stix2's property order: type, spec_version, id, own properties, then
  // object_marking_refs and the custom x_opencti_created_by_ref.

  /** An SCO whose only property is `value` (its only contributing property too). */
  addValue(type: string, value: string): string {
    return this.push({
      type,
      spec_version: "2.1",
      id: valueId(type, value),
      value,
      object_marking_refs: this.markingRefs,
      x_opencti_created_by_ref: this.authorId
    })
  }

  addEmail(value: string, displayName: string | undefined, accountId: string | undefined): string {
    // Neither display_name nor belongs_to_ref is part of the id.
    const object: Record<string, unknown> = {
      type: "email-addr",
      spec_version: "2.1",
      id: valueId("email-addr", value),
      value
    }
    if (displayName !== undefined) object.display_name = displayName
    if (accountId !== undefined) object.belongs_to_ref = accountId
    object.object_marking_refs = this.markingRefs
    object.x_opencti_created_by_ref = this.authorId
    return this.push(object as unknown as StixObject)
  }

  addAccount(login: string): string {
    return this.push({
      type: "user-account",
      spec_version: "2.1",
      id: deterministicId("user-account", { account_login: login }),
      account_login: login,
      object_marking_refs: this.markingRefs,
      x_opencti_created_by_ref: this.authorId
    })
  }

  addDirectory(path: string): string {
    return this.push({
      type: "directory",
      spec_version: "2.1",
      id: deterministicId("directory", { path }),
      path,
      object_marking_refs: this.markingRefs,
      x_opencti_created_by_ref: this.authorId
    })
  }

  addFile(name: string, directoryId: string | undefined): string {
    if (directoryId === undefined) {
      return this.push({
        type: "file",
        spec_version: "2.1",
        id: deterministicId("file", { name }),
        name,
        object_marking_refs: this.markingRefs,
        x_opencti_created_by_ref: this.authorId
      })
    }
    // stix2 hashes `parent_directory_ref` into a file's id: the same name in two folders is two files.
    return this.push({
      type: "file",
      spec_version: "2.1",
      id: deterministicId("file", { name, parent_directory_ref: directoryId }),
      name,
      parent_directory_ref: directoryId,
      object_marking_refs: this.markingRefs,
      x_opencti_created_by_ref: this.authorId
    })
  }

  skip(field: string, observable: string, reason: SkipReason) {
    this.skipped.push({ field, observable, reason })
  }

  /**
   * The usable text of a field, or undefined after recording why it is unusable (a missing field is not
   * a skip: there was nothing to create). `toValue` turns the text into the observable's value.
   */
  value(field: string, raw: unknown, observable: string, toValue: (text: string) => string | undefined) {
    const text = fieldText(raw)
    if (text._tag === "Absent") return undefined
    if (text._tag === "Rejected") {
      this.skip(field, observable, text.reason)
      return undefined
    }
    const value = toValue(text.text)
    if (value === undefined) this.skip(field, observable, "invalid")
    return value
  }
}

const verbatim = (text: string) => text
const validDomain = (text: string) => isValidDomain(text) ? text : undefined

const addIps = (collector: Collector, raw: unknown): Array<string> => {
  const ips: Array<string> = []
  if (raw === undefined || raw === null) return ips
  // A bare string is one address; anything else but a list is unusable.
  const items: ReadonlyArray<unknown> | undefined = typeof raw === "string"
    ? [raw]
    : Array.isArray(raw)
    ? raw
    : undefined
  if (items === undefined) {
    collector.skip("ip_addresses", "ipv4-addr/ipv6-addr", "malformed")
    return ips
  }
  items.forEach((item, index) => {
    const field = typeof raw === "string" ? "ip_addresses" : `ip_addresses[${index}]`
    let version: "ipv4" | "ipv6" | undefined
    const value = collector.value(field, item, "ipv4-addr/ipv6-addr", (text) => {
      version = ipVersion(text)
      return version === undefined ? undefined : text
    })
    if (value !== undefined && version !== undefined) {
      collector.addValue(`${version}-addr`, value)
      ips.push(value)
    }
  })
  return ips
}

const addInfectedPath = (collector: Collector, raw: unknown) => {
  let directory: string | undefined
  const name = collector.value("infected_path", raw, "file", (text) => {
    const split = splitPath(text)
    directory = split?.directory
    return split?.name
  })
  if (name === undefined) return
  collector.addFile(name, directory === undefined ? undefined : collector.addDirectory(directory))
}

export const recordObservables = (record: BreachRecord, context: MappingContext): RecordObservables => {
  const collector = new Collector(context)

  const hostname = collector.value("user_hostname", record.user_hostname, "hostname", verbatim)
  if (hostname !== undefined) collector.addValue("hostname", hostname)

  const username = collector.value("username", record.username, "user-account", verbatim)
  const accountId = username === undefined ? undefined : collector.addAccount(username)

  const email = collector.value("email", record.email, "email-addr", emailValue)
  // An unusable full name just leaves display_name out.
  if (email !== undefined) collector.addEmail(email, usableText(record.full_name), accountId)

  // Never a password or token in an observable, whatever SPYCLOUD_INCLUDE_SENSITIVE_DATA says.
  const url = collector.value("target_url", record.target_url, "url", (text) => urlValue(withoutUrlCredentials(text)))
  if (url !== undefined) collector.addValue("url", url)

  for (const field of ["target_domain", "target_subdomain"] as const) {
    const domain = collector.value(field, record[field], "domain-name", validDomain)
    if (domain !== undefined) collector.addValue("domain-name", domain)
  }

  const mac = collector.value("mac_address", record.mac_address, "mac-addr", macValue)
  if (mac !== undefined) collector.addValue("mac-addr", mac)

  const userAgent = collector.value("user_agent", record.user_agent, "user-agent", redactCredentials)
  if (userAgent !== undefined) collector.addValue("user-agent", userAgent)

  const ips = addIps(collector, record.ip_addresses)
  addInfectedPath(collector, record.infected_path)

  return { objects: collector.objects, skipped: collector.skipped, ips }
}
