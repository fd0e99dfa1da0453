// Types for eslint/layering.js, which ESLint loads as plain JavaScript (test/unit/lint imports it).
import type { ESLint, Rule } from 'eslint';

export declare const layering: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
