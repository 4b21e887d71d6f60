/**
 * One breach record (and its catalog entry) as STIX 2.1: an incident of its own, its observables and a
 * `related-to` relationship from each observable to the incident (docs/stix-mapping.md, "Mapping table").
 * Pure and deterministic: every timestamp comes from the record, so re-sending a record produces identical
 * objects. Never throws.
 */
import { Option } from "effect"
import { isoTimestamp } from "../lib/IsoInstant.js"
import { memoizeLast } from "../lib/MemoizeLast.js"
import type { BreachCatalog, BreachRecord } from "../spycloud/BreachRecord.js"
import { describeRecord } from "./Description.js"
import { displayText, hasUnfitCharacter, MAX_VALUE_LENGTH, usableText } from "./FieldText.js"
import type { MappingContext } from "./MappingContext.js"
import { recordObservables } from "./Observables.js"
import { RecordMapping } from "./RecordMapping.js"
import { incidentSeverity, type SeverityMapping } from "./Severity.js"
import { recordIncidentId, relationshipId } from "./StixId.js"
import type { StixObject } from "./StixObject.js"

/** Longest subject kept in an incident name; the document id that follows keeps names unique anyway. */
const MAX_SUBJECT_LENGTH = 100

const CATALOG_PORTAL = "https://portal.spycloud.com/breach/catalog/"
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Cuts text to at most `max` UTF-16 units without splitting a surrogate pair. */
const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  const end = /[\ud800-\udbff]/.test(text[max - 1]!) ? max - 1 : max
  return `${text.slice(0, end)}…`
}

/** A date as a STIX timestamp; records come in runs that share their publish date, so it is worked out once. */
const publishTimestamp = memoizeLast(isoTimestamp)

/** A record date as a STIX timestamp, or undefined (with a note) when present but unusable. */
const recordTimestamp = (record: BreachRecord, field: string, notes: Array<string>): string | undefined => {
  const raw = record[field]
  if (raw === undefined || raw === null) return undefined
  const timestamp = typeof raw === "string" ? isoTimestamp(raw) : undefined
  if (timestamp === undefined) notes.push(`${field} is not an ISO-8601 date; ignored`)
  return timestamp
}

const severityOf = (record: BreachRecord, notes: Array<string>): SeverityMapping => {
  const code: unknown = record.severity
  if (code !== undefined && (typeof code !== "number" || !Number.isFinite(code))) {
    notes.push("severity is not a number; ignored")
    return { severity: undefined, note: undefined }
  }
  const mapping = incidentSeverity(code)
  if (mapping.note !== undefined) notes.push(mapping.note)
  return mapping
}

/**
 * `SpyCloud <severity> alert on <subject> (<document_id>)`: the subject is what an analyst looks for (email, else
 * username, else first IP); the document id makes the name unique per record. That matters because OpenCTI derives
 * an incident's id from its name and `created`, and `created` is a date shared by many records: the official
 * connector's names merge distinct records into one incident (docs/spycloud-api.md, "Defects of the official
 * connector that we fix": the incident id comes from its name and publish date). The incident's id itself comes
 * from the document id alone (`recordIncidentId`), so that a later change of name keeps it.
 */
export const incidentName = (
  documentId: string,
  severity: SeverityMapping["severity"],
  subject: string | undefined
): string => {
  const alert = severity === undefined ? "SpyCloud alert" : `SpyCloud ${severity} alert`
  return subject === undefined
    ? `${alert} on record ${documentId}`
    : `${alert} on ${truncate(subject.replace(/\s+/g, " "), MAX_SUBJECT_LENGTH)} (${documentId})`
}

const catalogLabels = (catalog: Option.Option<BreachCatalog>): Array<string> => {
  if (Option.isNone(catalog)) return []
  const labels = new Set<string>()
  for (const raw of [catalog.value.breach_main_category, catalog.value.breach_category]) {
    const label = usableText(raw)?.trim().toLowerCase()
    if (label !== undefined && label !== "") labels.add(label)
  }
  return [...labels]
}

const externalReferences = (documentId: string, catalog: Option.Option<BreachCatalog>) => {
  const references: Array<Record<string, string>> = [{ source_name: "SpyCloud", external_id: documentId }]
  if (Option.isSome(catalog)) {
    const uuid = catalog.value.uuid
    // One shared reference per breach: OpenCTI keys external references by URL, so incidents link up.
    if (typeof uuid === "string" && UUID.test(uuid)) {
      references.push({
        source_name: "SpyCloud breach catalog",
        external_id: String(catalog.value.id),
        url: `${CATALOG_PORTAL}${uuid.toLowerCase()}`
      })
    }
  }
  return references
}

const mapRecord = (
  record: BreachRecord,
  catalog: Option.Option<BreachCatalog>,
  context: MappingContext
): RecordMapping => {
  const documentId: unknown = record.document_id
  if (typeof documentId !== "string" || documentId.trim() === "") {
    return RecordMapping.Unmappable({ documentId: undefined, reason: "the record has no document_id" })
  }
  if (documentId.length > MAX_VALUE_LENGTH) {
    return RecordMapping.Unmappable({
      documentId: truncate(documentId, 64),
      reason: `document_id is longer than ${MAX_VALUE_LENGTH} characters`
    })
  }
  if (hasUnfitCharacter(documentId)) {
    return RecordMapping.Unmappable({ documentId: undefined, reason: "document_id holds control characters" })
  }
  const created = typeof record.spycloud_publish_date === "string"
    ? publishTimestamp(record.spycloud_publish_date)
    : undefined
  if (created === undefined) {
    return RecordMapping.Unmappable({ documentId, reason: "spycloud_publish_date is not an ISO-8601 date" })
  }

  const notes: Array<string> = []
  const modifiedAt = recordTimestamp(record, "record_modification_date", notes)
  const modified = modifiedAt !== undefined && modifiedAt > created ? modifiedAt : created
  const firstSeen = recordTimestamp(record, "infected_time", notes) ?? created
  const { severity } = severityOf(record, notes)

  const observables = recordObservables(record, context)
  const subject = usableText(record.email) ?? usableText(record.username) ?? observables.ips[0]
  const name = incidentName(documentId, severity, subject)
  const id = recordIncidentId(documentId)

  const incident: Record<string, unknown> = {
    type: "incident",
    spec_version: "2.1",
    id,
    created_by_ref: context.authorId,
    created,
    modified,
    name,
    description: describeRecord({
      record,
      catalog,
      severity,
      includeSensitiveData: context.includeSensitiveData
    })
  }
  const labels = catalogLabels(catalog)
  if (labels.length > 0) incident.labels = labels
  incident.external_references = externalReferences(documentId, catalog)
  incident.object_marking_refs = context.markingRefs
  // OpenCTI's incident properties (pycti reads them unprefixed), sorted as stix2 writes custom properties.
  incident.first_seen = firstSeen
  incident.incident_type = "data-breach"
  if (severity !== undefined) incident.severity = severity
  incident.source = (Option.isSome(catalog) ? displayText(catalog.value.title) : undefined) ?? "Unknown"

  const objects: Array<StixObject> = [incident as unknown as StixObject, ...observables.objects]
  for (const observable of observables.objects) {
    objects.push({
      type: "relationship",
      spec_version: "2.1",
      id: relationshipId("related-to", observable.id, id),
      created_by_ref: context.authorId,
      created,
      modified,
      relationship_type: "related-to",
      source_ref: observable.id,
      target_ref: id,
      object_marking_refs: context.markingRefs
    })
  }
  return RecordMapping.Mapped({
    documentId,
    incidentId: id,
    objects,
    observableCount: observables.objects.length,
    skipped: observables.skipped,
    notes
  })
}

/**
 * Maps one record. A record that cannot be mapped at all (no usable document id or publish date, or an
 * unexpected failure) yields `Unmappable` with a reason that names no field value.
 */
export const mapBreachRecord = (
  record: BreachRecord,
  catalog: Option.Option<BreachCatalog>,
  context: MappingContext
): RecordMapping => {
  try {
    return mapRecord(record, catalog, context)
  } catch (error) {
    const documentId = typeof record?.document_id === "string" ? record.document_id : undefined
    const what = error instanceof Error ? error.name : typeof error
    return RecordMapping.Unmappable({ documentId, reason: `unexpected ${what} while mapping the record` })
  }
}
