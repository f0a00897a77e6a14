// Lint rules for transfer-lab. Formatting is prettier's job (`npm run format`); this file holds the rules
// prettier cannot enforce: function length, long strings and comments, unused code, floating promises,
// import cycles and the folder layering from docs/ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';

// The layers, top to bottom: a folder may import the folders below it, never one above it.
// cli/server -> train/report -> models/data/backends/tensorboard/run/experiment -> download
const entryPoints = ['src/cli', 'src/server'];
const flows = ['src/train', 'src/report'];
const foundations = ['src/models', 'src/data', 'src/backends', 'src/tensorboard', 'src/run', 'src/experiment'];

const zone = (target, from, message) => ({ target, from, message });
const layering = [
  ...[...flows, ...foundations, 'src/download'].map((target) =>
    zone(target, entryPoints, 'only cli/ and server/ sit above train/ and report/'),
  ),
  ...[...foundations, 'src/download'].map((target) =>
    zone(target, flows, 'train/ and report/ sit above the foundation folders'),
  ),
  zone('src/download', foundations, 'download/ is the bottom layer: it imports no other folder of src/'),
  zone('src/report', 'src/train', 'report/ reads what train/ wrote through run/ and tensorboard/, never train/ itself'),
  zone('src/train', 'src/report', 'train/ writes runs; it does not import the report side'),
  zone('src/tensorboard/format', ['src/tensorboard/write', 'src/tensorboard/read'], 'format/ is below write/, read/'),
  zone('src/tensorboard/write', 'src/tensorboard/read', 'the writer side imports nothing from the read side'),
  zone('src/tensorboard/read', 'src/tensorboard/write', 'the read side imports nothing from the writer side'),
];

export default defineConfig(
  { ignores: ['node_modules/', 'logs/', 'reports/', 'test-artifacts/', '.cache/', 'public/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver()],
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // prettier wraps code at 120; strings, template literals and comments it leaves alone.
      'max-len': ['error', { code: 120, tabWidth: 2, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // node:test's test()/describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layering }],
    },
  },
  {
    // A function is a screen of logic: blank lines between steps and comments that say why do not count.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 59, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // models/ describes networks; which backend runs them is decided in backends/ and picked by the caller.
    files: ['src/models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/tfjs-backend-*', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
              message: 'models never pick a backend: import @tensorflow/tfjs only',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^@tensorflow\\u002Ftfjs-(backend-|node)/]',
          message: 'models never pick a backend: import @tensorflow/tfjs only',
        },
      ],
    },
  },
  {
    // The scripts run as plain Node ESM outside the TypeScript project.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
);
