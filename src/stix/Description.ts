/**
 * The incident description (docs/stix-mapping.md, "The description"): the breach in a few lines, then a Markdown
 * table of every field of the record as SpyCloud sent it, in SpyCloud's order. Every piece of record or catalog
 * text is escaped; secrets and card data are shown as present, not by value, unless the administrator opted in.
 */
import { Option } from "effect"
import type { BreachCatalog, BreachRecord } from "../spycloud/BreachRecord.js"
import { displayText, usableText } from "./FieldText.js"
import { escapeMarkdown, MAX_CELL_LENGTH } from "./MarkdownText.js"
import { redactCredentials, REDACTED } from "./SecretText.js"
import { isSensitiveField } from "./SensitiveFields.js"
import type { IncidentSeverity } from "./Severity.js"

export interface DescriptionInput {
  readonly record: BreachRecord
  readonly catalog: Option.Option<BreachCatalog>
  readonly severity: IncidentSeverity | undefined
  readonly includeSensitiveData: boolean
}

/** Catalog descriptions can be long prose; the first lines say what the breach is. */
const MAX_CATALOG_DESCRIPTION = 600

/** Levels of a nested value shown; deeper ones read `…`. Hostile records nest thousands of levels. */
const MAX_SHOWN_DEPTH = 16

/**
 * Compact JSON of a value, depth-limited and cut once `budget` characters are written (a cell keeps
 * `MAX_CELL_LENGTH` of them anyway), so any value costs bounded work and stack. Without `showSecrets`, a
 * member under a secret-looking key at any depth reads `REDACTED`, and credentials inside strings
 * (URL passwords, `?token=`, `Bearer …`) are replaced.
 */
const renderJson = (value: unknown, showSecrets: boolean, budget: number): string => {
  const out: Array<string> = []
  let written = 0
  const emit = (text: string) => {
    out.push(text)
    written += text.length
  }
  const text = (raw: string) => showSecrets ? raw : redactCredentials(raw)
  const go = (item: unknown, depth: number): void => {
    if (written > budget) return
    if (typeof item === "string") return emit(JSON.stringify(text(item.length > budget ? item.slice(0, budget) : item)))
    if (item === null || typeof item !== "object") return emit(JSON.stringify(item) ?? "null")
    if (depth >= MAX_SHOWN_DEPTH) return emit("…")
    if (Array.isArray(item)) {
      emit("[")
      for (let index = 0; index < item.length && written <= budget; index++) {
        if (index > 0) emit(",")
        go(item[index], depth + 1)
      }
      return emit("]")
    }
    emit("{")
    let first = true
    for (const key in item) {
      if (written > budget) break
      if (!Object.prototype.hasOwnProperty.call(item, key)) continue
      const member = (item as Record<string, unknown>)[key]
      if (member === undefined) continue
      if (!first) emit(",")
      first = false
      emit(`${JSON.stringify(key)}:`)
      if (!showSecrets && factsOf(key).sensitive && member !== "" && member !== null) emit(JSON.stringify(REDACTED))
      else go(member, depth + 1)
    }
    emit("}")
  }
  go(value, 0)
  const rendered = out.join("")
  return written > budget ? `${rendered.slice(0, budget)}…` : rendered
}

/** Plain text of any JSON value: strings as they are, lists item by item, the rest as (bounded) JSON. */
const plainText = (value: unknown, showSecrets: boolean): string => {
  if (typeof value === "string") return showSecrets ? value : redactCredentials(value)
  if (Array.isArray(value)) {
    const items: Array<string> = []
    let written = 0
    for (const item of value) {
      if (written > MAX_CELL_LENGTH) break
      const shown = typeof item === "string"
        ? plainText(item.length > MAX_CELL_LENGTH ? item.slice(0, MAX_CELL_LENGTH) : item, showSecrets)
        : renderJson(item, showSecrets, MAX_CELL_LENGTH)
      items.push(shown)
      written += shown.length + 2
    }
    return items.join(", ")
  }
  return renderJson(value, showSecrets, MAX_CELL_LENGTH)
}

/** What a hidden value is, without a hint of its content. */
const kindOf = (value: unknown): string | undefined =>
  Array.isArray(value)
    ? `list of ${value.length}`
    : typeof value === "string"
    ? undefined
    : value !== null && typeof value === "object"
    ? "object"
    : typeof value

const redactionMarker = (field: string, value: unknown, record: BreachRecord): string => {
  if (value === "") return ""
  const passwordType = field === "password" ? usableText(record.password_type) : undefined
  const detail = passwordType !== undefined ? `password_type ${passwordType}` : kindOf(value)
  return detail === undefined ? "*redacted*" : `*redacted (${escapeMarkdown(detail, 100)})*`
}

interface FieldFacts {
  readonly escapedName: string
  readonly sensitive: boolean
}

// Records repeat the same few dozen field names; what is known about a name is worked out once. Bounded,
// because names come from the input.
const FIELD_FACTS_LIMIT = 4096
const fieldFacts = new Map<string, FieldFacts>()
const factsOf = (field: string): FieldFacts => {
  let facts = fieldFacts.get(field)
  if (facts === undefined) {
    if (fieldFacts.size >= FIELD_FACTS_LIMIT) fieldFacts.clear()
    facts = { escapedName: escapeMarkdown(field, 200), sensitive: isSensitiveField(field) }
    fieldFacts.set(field, facts)
  }
  return facts
}

const cell = (field: string, sensitive: boolean, value: unknown, input: DescriptionInput): string =>
  sensitive && !input.includeSensitiveData
    ? redactionMarker(field, value, input.record)
    : escapeMarkdown(plainText(value, input.includeSensitiveData))

const headline = (input: DescriptionInput): string => {
  const { record, severity } = input
  const parts = [`**SpyCloud breach record** ${escapeMarkdown(record.document_id, 200)}`]
  if (severity !== undefined) parts.push(`severity: ${severity} (${escapeMarkdown(String(record.severity), 50)})`)
  parts.push(`published: ${escapeMarkdown(record.spycloud_publish_date, 100)}`)
  return parts.join(" · ")
}

const breachLines = (catalog: BreachCatalog, sourceId: string): string => {
  const title = displayText(catalog.title)
  const categories = [displayText(catalog.breach_main_category), displayText(catalog.breach_category)]
    .filter((category): category is string => category !== undefined)
  const acquired = displayText(catalog.acquisition_date)
  const parts = [`**Breach:** ${title === undefined ? "untitled" : escapeMarkdown(title, 300)}`]
  if (categories.length > 0) parts.push(`category: ${escapeMarkdown(categories.join(", "), 200)}`)
  if (acquired !== undefined) parts.push(`acquired: ${escapeMarkdown(acquired, 100)}`)
  parts.push(`breach id: ${sourceId}`)
  const lines = [parts.join(" · ")]
  const about = displayText(catalog.description)
  // Inside a quote a line break would end the paragraph; the whole text stays on one line.
  if (about !== undefined) lines.push(`> ${escapeMarkdown(about.replace(/\s+/g, " "), MAX_CATALOG_DESCRIPTION)}`)
  return lines.join("\n")
}

// Thousands of records share a catalog entry (the client hands out the same object for a breach): its
// lines are written once per entry and breach id.
const breachTexts = new WeakMap<BreachCatalog, { readonly sourceId: string; readonly text: string }>()

const breachText = (input: DescriptionInput): string => {
  const sourceId = escapeMarkdown(String(input.record.source_id), 100)
  if (Option.isNone(input.catalog)) return `**Breach:** not in the SpyCloud catalog (breach id ${sourceId})`
  const known = breachTexts.get(input.catalog.value)
  if (known !== undefined && known.sourceId === sourceId) return known.text
  const text = breachLines(input.catalog.value, sourceId)
  breachTexts.set(input.catalog.value, { sourceId, text })
  return text
}

export const describeRecord = (input: DescriptionInput): string => {
  const { record } = input
  const lines = [headline(input), "", breachText(input), "", "| Field | Value |", "| --- | --- |"]
  // In SpyCloud's order (the order of the record's own keys, as Object.entries gives them).
  for (const field in record) {
    const value = record[field]
    if (value === undefined || value === null) continue
    const facts = factsOf(field)
    lines.push(`| ${facts.escapedName} | ${cell(field, facts.sensitive, value, input)} |`)
  }
  return lines.join("\n")
}
