// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'network/.*/**', '.data/**', 'eslint.config.mjs'],
  },
  js.configs.recommended,
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
  },
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts', 'console/**/*.tsx'] })),
  {
    files: ['**/*.ts', 'console/**/*.tsx'],
    languageOptions: {
      parserOptions: {
        // The console's build configurations belong to no tsconfig project (they run in Node, not the browser).
        projectService: { allowDefaultProject: ['console/vite.config.ts', 'console/playwright.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Chaincode must be deterministic: time and IDs come from the stub.
    files: ['chaincode/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date']",
          message: 'Use the transaction timestamp (ctx.stub.getTxTimestamp()).',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use the transaction timestamp.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Chaincode must be deterministic.',
        },
        { selector: "CallExpression[callee.property.name='randomUUID']", message: 'Use the transaction ID.' },
        { selector: 'ImportDeclaration[source.value=/uuid/]', message: 'Use the transaction ID.' },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
