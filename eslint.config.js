import js from '@eslint/js';
import uiExtensionConfig from '@stripe/ui-extension-tools/eslint.config.ui-extension.mjs';
import tseslint from 'typescript-eslint';

/** The Stripe App and its tests: what `@stripe/ui-extension-tools` lints (React, hooks, SDK-only JSX). */
const UI_EXTENSION_FILES = ['stripe-app/src/**/*.{ts,tsx}', 'test/app/**/*.{ts,tsx}'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.cache/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Stripe's own ESLint config for UI extensions, as the Stripe CLI's projects use it, limited to the
  // app: it assumes every file it sees is React code (its parser settings and rules would otherwise
  // apply to the worker too).
  ...uiExtensionConfig.map((config) => ({ ...config, files: UI_EXTENSION_FILES })),
  {
    // The UI extension renders only SDK components: a lowercase JSX element (<div>) fails at runtime.
    // <option> is the exception, as the children of the SDK's Select.
    files: ['stripe-app/src/**/*.tsx'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "JSXOpeningElement[name.name=/^[a-z]/][name.name!='option']",
        message: 'Stripe UI extensions render no HTML elements: use components from @stripe/ui-extension-sdk/ui.',
      }],
    },
  },
);
