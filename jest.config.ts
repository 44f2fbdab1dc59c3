/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// swc strips types only; `tsc --noEmit` in `npm test` does the type checking.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/operators', '<rootDir>/examples'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
};

export default config;
