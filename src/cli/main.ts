// The `photowords` command line: a first-class way into the engine (src/core), nothing more. Each
// command group registers itself from src/cli/commands/, in the order `photowords --help` lists them.
// User mistakes end in one clear line and a non-zero exit; stack traces only with PHOTOWORDS_DEBUG=1.
import { Command } from 'commander';
import { registerExplain } from './explain.js';
import { registerModelCommands } from './model-commands.js';
import { DEFAULT_DB } from './options.js';
import { registerExport, registerIndex, registerInfo, registerSimilar } from './commands/search.js';
import { registerDecisions, registerDuplicates } from './commands/duplicates.js';
import { registerCodebook, registerEval, registerModelTools } from './commands/model.js';
import { registerDaemon, registerServe } from './commands/serve.js';
import { registerAuth } from './commands/auth.js';

const program = new Command();
program.name('photowords').description('Find similar photos and duplicates by reading each photo as a document of visual words.').showHelpAfterError();

registerIndex(program);
registerSimilar(program);
registerDuplicates(program);
registerDecisions(program);
registerExport(program);
registerExplain(program, DEFAULT_DB);
registerInfo(program);
registerEval(program);
registerCodebook(program);
const model = program.command('model').description('backbone models');
registerModelCommands(model);
registerModelTools(model);
registerServe(program);
registerAuth(program);
registerDaemon(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (process.env.PHOTOWORDS_DEBUG) console.error(e);
  else console.error(`photowords: ${(e as Error).message}`);
  process.exitCode = 1;
}
