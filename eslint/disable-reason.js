// Every eslint-disable comment says why (`// eslint-disable-next-line rule -- <reason>`): a rule
// turned off without one reads as an oversight, and the reason is what a later reader weighs
// before removing it.
/** @type {import('eslint').Rule.RuleModule} */
export const disableReason = {
  meta: {
    type: 'suggestion',
    docs: { description: 'Require a `-- <reason>` on eslint-disable comments' },
    schema: [],
    messages: { missing: 'Say why after the rule names: `eslint-disable... <rule> -- <reason>`.' },
  },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const text = comment.value.trim();
          if (!/^eslint-disable(-next-line|-line)?(\s|$)/.test(text)) continue;
          const reason = text.split(/\s--\s/)[1];
          if (!reason?.trim()) context.report({ loc: comment.loc, messageId: 'missing' });
        }
      },
    };
  },
};
