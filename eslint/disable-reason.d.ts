// Types for eslint/disable-reason.js, which ESLint loads as plain JavaScript (test/unit/lint imports it).
import type { Rule } from 'eslint';

export declare const disableReason: Rule.RuleModule;
