import * as effectEslint from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["dist", "node_modules", "demo-output", "bench-output"] },
  ...tseslint.configs.recommended,
  ...effectEslint.configs.dprint,
  {
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off"
    }
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      // The package indexes load every module (HTTP routers with their bundled UIs: ~26 MB of heap);
      // import the modules used, by path.
      "@typescript-eslint/no-restricted-imports": ["error", {
        paths: [
          { name: "@effect/platform", message: "import the module by path", allowTypeImports: true },
          { name: "@effect/platform-node", message: "import the module by path", allowTypeImports: true }
        ]
      }]
    }
  }
)
