// The owner's password and the API tokens of `photowords serve`, kept in the index file.
import { Command } from 'commander';
import { DEFAULT_DB, int, log } from '../options.js';

/** Reads a password from the terminal without echo (twice), or one line of stdin with --stdin. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve, reject) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let buf = '';
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(buf);
          }
          if (ch === '\u0003') {
            stdin.setRawMode(false);
            stdin.off('data', onData);
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f') buf = buf.slice(0, -1);
          else buf += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('New password: ');
  const again = await ask('Again: ');
  if (first !== again) throw new Error('the two passwords differ; nothing was changed');
  return first;
}

export function registerAuth(program: Command): void {
  program
    .command('password')
    .description("set or reset the owner's password for photowords serve (ends every signed-in session)")
    .option('--db <file>', 'index database', DEFAULT_DB)
    .option('--stdin', 'read the password from standard input (one line) instead of asking twice')
    .action(async (o: { db: string; stdin?: boolean }) => {
      const { AuthStore } = await import('../../core/index.js');
      const store = AuthStore.open(o.db);
      try {
        const password = await readPassword(o.stdin === true);
        await store.setPassword(password);
        log(`Password set for ${o.db}; every session was signed out.`);
      } finally {
        store.close();
      }
    });

  const token = program.command('token').description('API tokens for scripts talking to photowords serve (Authorization: Bearer <token>)');
  token
    .command('create')
    .description('create a token and print it once (only its hash is kept)')
    .requiredOption('--name <name>', 'what the token is for, e.g. "backup script"')
    .option('--read-only', 'may only read (list, search, download), never change anything')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .action(async (o: { name: string; readOnly?: boolean; db: string }) => {
      const { AuthStore } = await import('../../core/index.js');
      const store = AuthStore.open(o.db);
      try {
        const t = store.createToken(o.name, o.readOnly ? 'read' : 'full');
        log(`Token ${t.id} "${t.name}" (${t.scope === 'read' ? 'read-only' : 'full access'}); it is shown only now:`);
        console.log(t.token);
      } finally {
        store.close();
      }
    });
  token
    .command('list')
    .description('list the tokens (never their secrets)')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .action(async (o: { db: string }) => {
      const { AuthStore } = await import('../../core/index.js');
      const store = AuthStore.open(o.db);
      try {
        const list = store.listTokens();
        if (list.length === 0) log('No API tokens.');
        for (const t of list) {
          const used = t.lastUsed ? new Date(t.lastUsed).toISOString() : 'never used';
          console.log(`${t.id}\t${t.scope}\t${new Date(t.created).toISOString()}\t${used}\t${t.name}`);
        }
      } finally {
        store.close();
      }
    });
  token
    .command('revoke')
    .description('revoke a token by its id (from token list)')
    .argument('<id>', 'the token id', int('id', 1, Number.MAX_SAFE_INTEGER))
    .option('--db <file>', 'index database', DEFAULT_DB)
    .action(async (id: number, o: { db: string }) => {
      const { AuthStore } = await import('../../core/index.js');
      const store = AuthStore.open(o.db);
      try {
        if (!store.revokeToken(id)) throw new Error(`no token ${id} (see: photowords token list)`);
        log(`Token ${id} revoked.`);
      } finally {
        store.close();
      }
    });
}
