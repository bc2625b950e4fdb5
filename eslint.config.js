import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const libsBannedImports = [
  { group: ['@nestjs/*'], message: 'libs/ are framework-free: NestJS lives in apps/api.' },
  {
    group: ['@eventstore/*', '@kurrent/*', 'better-sqlite3'],
    message: 'libs/ never talk to a store client.',
  },
  {
    group: ['rxjs', 'rxjs/*', 'class-validator', 'class-transformer'],
    message: 'libs/ are plain TypeScript.',
  },
  { group: ['node:*'], message: 'libs/ do no I/O.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.spec.json', tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/*.spec.ts', 'libs/**/*-spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: libsBannedImports }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date']",
          message: 'libs/ read no clock: time comes in with the command.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'libs/ read no clock: time comes in with the command.',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'libs/ make no random values: ids come in with the command.',
        },
        {
          selector: "MemberExpression[object.name='crypto']",
          message: 'libs/ make no random ids: ids come in with the command.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // The web UI's modules run in the browser, not in Node.
    files: ['apps/api/src/ui/public/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  prettier,
);
