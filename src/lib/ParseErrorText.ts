/**
 * A schema decode error in one short line, `path.to.field: what was expected[, got <preview>]`, made by
 * walking the issue tree in a loop. effect's own formatters print the offending value in full and
 * recursively: that overflows the stack on input nested a few thousand levels deep, and it quotes
 * whatever the value holds (a password in an answer of the wrong shape).
 */
import { type ParseResult, SchemaAST as AST } from "effect"
import { previewValue, truncateText } from "./ValuePreview.js"

/** The deepest issue a decode error leads to, and the field path on the way; a loop, never recursion. */
const firstLeafIssue = (error: ParseResult.ParseError) => {
  const path: Array<PropertyKey> = []
  let issue: ParseResult.ParseIssue = error.issue
  // Schemas are a few levels deep; the bound only guards against a cycle.
  for (let step = 0; step < 64; step++) {
    switch (issue._tag) {
      case "Pointer":
        if (Array.isArray(issue.path)) path.push(...(issue.path as ReadonlyArray<PropertyKey>))
        else path.push(issue.path as PropertyKey)
        issue = issue.issue
        continue
      case "Composite": {
        const issues = issue.issues
        issue = Array.isArray(issues)
          ? (issues as ReadonlyArray<ParseResult.ParseIssue>)[0]!
          : issues as ParseResult.ParseIssue
        continue
      }
      case "Refinement":
      case "Transformation":
        issue = issue.issue
        continue
      default:
        return { path, issue }
    }
  }
  return { path, issue }
}

/** The message a schema annotation gives, when it is a plain string. */
const annotatedMessage = (issue: ParseResult.ParseIssue): string | undefined => {
  if (!("ast" in issue)) return undefined
  const annotation = issue.ast.annotations[AST.MessageAnnotationId]
  return typeof annotation === "string" ? annotation : undefined
}

const leafMessage = (issue: ParseResult.ParseIssue, showValues: boolean): string => {
  const got = (actual: unknown) => showValues ? `, got ${previewValue(actual)}` : ""
  switch (issue._tag) {
    case "Missing":
      return "is missing"
    case "Unexpected":
      return "is unexpected"
    case "Type":
    case "Forbidden":
      return (issue.message ?? annotatedMessage(issue) ?? `expected ${truncateText(String(issue.ast), 80)}`) +
        got(issue.actual)
    default:
      return `does not match the expected shape${got(issue.actual)}`
  }
}

export interface ParseErrorTextOptions {
  /** Add a one-level preview of the offending value (never for answers that may hold secrets). */
  readonly showValues: boolean
}

export const parseErrorText = (error: ParseResult.ParseError, options: ParseErrorTextOptions): string => {
  const { issue, path } = firstLeafIssue(error)
  const message = leafMessage(issue, options.showValues)
  const where = path.map((key) => truncateText(String(key), 80)).join(".")
  return where === "" ? message : `${where}: ${message}`
}

/**
 * Why `JSON.parse` failed, without the excerpt of the text V8 quotes around the fault (it may hold an
 * echoed key): the position only, when the message gives one.
 */
export const jsonSyntaxErrorText = (error: unknown, length: number): string => {
  const message = error instanceof Error ? error.message : ""
  const position = /position (\d+)/.exec(message)
  const where = position === null
    ? (/end of JSON input/.test(message) ? "it ends too early" : "")
    : `at position ${position[1]}`
  return `the body is not valid JSON${where === "" ? "" : ` (${where})`}; ${length} bytes`
}
