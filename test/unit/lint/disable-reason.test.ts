// eslint/disable-reason.js: an eslint-disable comment without `-- <reason>` is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linter } from 'eslint';
import { disableReason } from '../../../eslint/disable-reason.js';

const linter = new Linter();
const config: Linter.Config[] = [{ plugins: { photowords: { rules: { 'disable-reason': disableReason } } }, rules: { 'photowords/disable-reason': 'error' } }];
const problems = (code: string) => linter.verify(code, config, { filename: 'x.js' }).filter((m) => m.ruleId === 'photowords/disable-reason').length;

test('eslint-disable comments need a reason after --', () => {
  assert.equal(problems('// eslint-disable-next-line no-console\nconsole.log(1);'), 1);
  assert.equal(problems('/* eslint-disable max-lines */\nexport {};'), 1);
  assert.equal(problems('const a = 1; // eslint-disable-line no-unused-vars --\n'), 1);
  assert.equal(problems('// eslint-disable-next-line no-console -- the CLI prints here\nconsole.log(1);'), 0);
  assert.equal(problems('/* eslint-disable max-lines -- one table of every format */\nexport {};'), 0);
  assert.equal(problems('// eslint-enable\n// a comment that mentions eslint-disable in passing\n'), 0);
});
