// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.bench-data/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Product code (everything but specs, test/ and the jest config) never depends on test code or on jest:
    // test helpers live in test/support, and the public test kit (src/testkit) asserts with node:assert.
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    ignores: ['**/*.spec.ts', 'test/**', 'jest.config.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/*.spec', '**/*.spec.ts'], message: 'product code must not import a spec file.' },
            { group: ['**/test/**', 'test/**'], message: 'product code must not import test support (test/): move what it needs into src/.' },
            { group: ['jest', 'jest/**', '@jest/**', '@types/jest'], message: 'product code must not depend on jest (the test kit asserts with node:assert).' },
          ],
        },
      ],
    },
  },
);
