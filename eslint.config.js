// ESLint (flat config): typescript-eslint's recommended type-checked rules over the TypeScript sources, tests,
// benchmarks, examples and the explorer page (`npm run lint`; CI runs it in .ci/run). Every rule of the preset
// is on; the options below narrow three rules to what they are meant to catch, each with its reason, and one
// family is relaxed for the tests only (see there).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // assembly/ is AssemblyScript (its own types: i32, v128, ...), src/backend/wasm/generated/ is build output,
  // *.js/*.mjs are the plain-JavaScript build and test scripts, outside the TypeScript program the typed rules need
  { ignores: ['dist/**', 'node_modules/**', 'artifacts/**', 'checkpoints/**', 'assembly/**', '.prof/**', 'src/backend/wasm/generated/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe()/it() return promises that the runner itself awaits (a test registered at
      // the top level must not be awaited: node:test queues it); every other floating promise is still an error.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      // Error messages print shapes and strides as `${[2, 3]}` -> "2,3" on purpose (numbers and arrays of
      // numbers stringify predictably); objects, null/undefined and `any` are still refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // `_name` marks a parameter an override or a callback signature must accept but does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The tests read PyTorch's fixtures from JSON (test/fixtures/**, parsed with JSON.parse, so typed `any`)
    // and index them freely: `fixture.cases[i].state[k].data`. Typing every fixture file's schema would
    // duplicate scripts/fixtures/*.py in TypeScript without checking anything more: a fixture with another
    // shape already fails the test that reads it (wrong lengths, undefined values, failed assertions). So, in
    // test/ only, `any` from fixtures may flow; the sources, benchmarks, examples and the page keep these rules.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
