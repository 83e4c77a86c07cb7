// One linter for the tree (typescript-eslint's recommended rules); Prettier owns the layout.
// https://typescript-eslint.io/getting-started
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
