// One linter for the tree (typescript-eslint's recommended rules); Prettier owns the layout.
// https://typescript-eslint.io/getting-started
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Terminal escapes and control characters are what the sanitizers and text renderers look for.
      'no-control-regex': 'off',
      // `_`-named bindings and rest siblings are how a field is left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests and benches read JSON whose shape is the thing under test.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      // Prettier wraps code at 120 and leaves comments alone: this holds comments to 120 too. Like
      // Prettier, it leaves string literals whole (https://prettier.io/docs/rationale#strings).
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
    },
  },
)
