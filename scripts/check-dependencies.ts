/**
 * The image installs `npm ci --omit=dev`, so every package that `src/` (and the compiled `dist/`) loads at
 * run time must be in package.json `dependencies`; a devDependency imported by production code works in
 * every test and fails only in the container. This lists the packages imported at run time (type-only
 * imports are erased by the compiler and do not count) and the ones missing from `dependencies`.
 *
 *   npm run check:dependencies                 # this repository's package.json
 *   npm run check:dependencies -- --package-json PATH
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const ROOT = resolve(fileURLToPath(import.meta.url), "../..")
const BUILTINS = new Set(builtinModules)

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for files and builtins. */
export const packageOf = (specifier: string): string | undefined => {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#")) return undefined
  if (specifier.startsWith("node:") || BUILTINS.has(specifier.split("/")[0]!)) return undefined
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
}

/** The module specifiers a TypeScript or JavaScript file loads at run time. */
export const runtimeSpecifiers = (fileName: string, text: string): Array<string> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false)
  const found: Array<string> = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      if (!node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
        found.push(node.moduleSpecifier.text)
      }
    } else if (ts.isExportDeclaration(node)) {
      if (!node.isTypeOnly && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
        found.push(node.moduleSpecifier.text)
      }
    } else if (ts.isImportEqualsDeclaration(node)) {
      if (!node.isTypeOnly && ts.isExternalModuleReference(node.moduleReference)) {
        const expression = node.moduleReference.expression
        if (ts.isStringLiteral(expression)) found.push(expression.text)
      }
    } else if (ts.isCallExpression(node)) {
      const [argument] = node.arguments
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require"
      if ((isImport || isRequire) && argument !== undefined && ts.isStringLiteralLike(argument)) {
        found.push(argument.text)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const sourceFiles = (directory: string): Array<string> =>
  readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(?:[cm]?ts|[cm]?js)$/.test(name) && !name.endsWith(".d.ts") ? [path] : []
  })

/** Each package imported at run time by `src/` and `dist/` (when built), with the files importing it. */
export const runtimeImports = (root = ROOT): Map<string, Array<string>> => {
  const imports = new Map<string, Array<string>>()
  for (const directory of ["src", "dist"].map((name) => join(root, name)).filter(existsSync)) {
    for (const file of sourceFiles(directory)) {
      for (const specifier of runtimeSpecifiers(file, readFileSync(file, "utf8"))) {
        const name = packageOf(specifier)
        if (name === undefined) continue
        const files = imports.get(name) ?? []
        const shown = relative(root, file)
        if (!files.includes(shown)) files.push(shown)
        imports.set(name, files)
      }
    }
  }
  return imports
}

interface PackageJson {
  readonly name?: string
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
}

/** One line per package production code imports without it being in `dependencies`; empty when none. */
export const dependencyProblems = (root = ROOT, packageJsonPath = join(root, "package.json")): Array<string> => {
  const manifest = JSON.parse(readFileSync(packageJsonPath, "utf8")) as PackageJson
  const dependencies = new Set(Object.keys(manifest.dependencies ?? {}))
  const problems: Array<string> = []
  for (const [name, files] of [...runtimeImports(root)].sort(([a], [b]) => a.localeCompare(b))) {
    if (dependencies.has(name) || name === manifest.name) continue
    const where = manifest.devDependencies?.[name] !== undefined ? "only in devDependencies" : "not in dependencies"
    problems.push(`${name} is imported at run time by ${files.join(", ")} but is ${where}`)
  }
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf("--package-json")
  const packageJson = flag >= 0 ? resolve(process.argv[flag + 1] ?? "") : join(ROOT, "package.json")
  const problems = dependencyProblems(ROOT, packageJson)
  if (problems.length > 0) {
    process.stderr.write(
      `Production code imports packages that \`npm ci --omit=dev\` does not install (${packageJson}):\n${
        problems.map((p) => `  - ${p}`).join("\n")
      }\n`
    )
    process.exit(1)
  }
  const count = runtimeImports(ROOT).size
  process.stdout.write(`The ${count} packages src/ and dist/ import at run time are all in dependencies\n`)
}
