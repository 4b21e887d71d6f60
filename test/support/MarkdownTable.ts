/** Reads Markdown tables back, the way a GFM renderer splits them, to check descriptions in tests. */

/** The cells of a table row: split on `|` that no backslash escapes (the outer empty cells included). */
export const tableCells = (row: string): Array<string> => {
  const cells: Array<string> = []
  let current = ""
  for (let i = 0; i < row.length; i++) {
    const character = row[i]!
    if (character === "\\" && i + 1 < row.length) {
      current += character + row[i + 1]
      i++
    } else if (character === "|") {
      cells.push(current)
      current = ""
    } else {
      current += character
    }
  }
  cells.push(current)
  return cells
}

/** The rows of the first table of a Markdown text, without its header and delimiter rows. */
export const tableRows = (markdown: string): Array<Array<string>> => {
  const lines = markdown.split("\n")
  const start = lines.findIndex((line) => line.startsWith("| Field |"))
  if (start < 0) return []
  const rows: Array<Array<string>> = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break
    rows.push(tableCells(line).slice(1, -1).map((cell) => cell.trim()))
  }
  return rows
}

/** Undoes Markdown backslash escapes (what a reader sees in a rendered cell). */
export const unescapeMarkdown = (text: string): string => text.replace(/\\(.)/g, "$1")
