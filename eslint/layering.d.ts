// Types for eslint/layering.js, which ESLint loads as plain JavaScript (test/unit/lint imports it).
import type { Rule } from 'eslint';

export declare const layering: Rule.RuleModule;
