// The layering rule: which part of src/ may import which (docs/ARCHITECTURE.md).
//   core     the engine: no Electron, no shell. The same code runs in the CLI, the server and
//            Electron's utility process, so a shell import here would drag that shell into the others.
//   shells   src/cli, src/server, src/main, src/preload reach the engine only through its public
//            surface, src/core/index.ts, so the engine's files can move without touching them.
//   renderer runs in a browser page (Electron's window or `serve`): it can load only itself,
//            src/shared and packages; node code or 'electron' there fails at run time, not at build.
//   shared   the contract both sides read (types, pure helpers): it imports neither side.
// Each import specifier (import, export ... from, import(), import type, require()) that is a relative path is
// resolved against the importing file; bare specifiers are packages, of which only 'electron' matters.
import path from 'node:path';

const SHELLS = ['src/cli', 'src/server', 'src/main', 'src/preload'];
const CORE_SURFACE = 'src/core/index.ts';

/** Whether the project-relative path `rel` is `dir` or inside it. */
function inside(rel, dir) {
  return rel === dir || rel.startsWith(dir + '/');
}

function area(rel) {
  if (inside(rel, 'src/core')) return 'core';
  if (inside(rel, 'src/renderer')) return 'renderer';
  if (inside(rel, 'src/shared')) return 'shared';
  return SHELLS.find((s) => inside(rel, s)) ?? null;
}

/** TS sources are imported by their emitted name (./x.js); a folder import means its index. */
function sourceName(rel) {
  const m = /^(.*)\.(js|mjs|cjs)$/.exec(rel);
  if (m) return `${m[1]}.ts`;
  if (rel === 'src/core') return CORE_SURFACE;
  return rel;
}

function isElectron(spec) {
  return spec === 'electron' || spec.startsWith('electron/');
}

/** @type {import('eslint').Rule.RuleModule} */
export const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep src/core, the shells, src/renderer and src/shared in their layers' },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' } },
        additionalProperties: false,
      },
    ],
    messages: {
      coreElectron: "src/core must not import 'electron': the engine also runs in the CLI and the server.",
      coreShell: 'src/core must not import {{target}}: the engine does not depend on a shell.',
      shellPastSurface: 'A shell imports the engine only through src/core/index.ts, not {{target}} (export it from the surface).',
      rendererElectron: "src/renderer must not import 'electron': it runs in a browser page; use the preload's API.",
      rendererOutside: 'src/renderer may import only src/renderer, src/shared and packages, not {{target}}.',
      sharedOutside: 'src/shared must not import {{target}}: both sides read it, so it depends on neither.',
      sharedElectron: "src/shared must not import 'electron': the renderer reads src/shared too.",
    },
  },
  create(context) {
    const root = path.resolve(context.options[0]?.root ?? context.cwd);
    const file = path.resolve(root, context.filename);
    const fromRel = path.relative(root, file).split(path.sep).join('/');
    const from = area(fromRel);
    if (!from) return {};

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (!spec.startsWith('.') && !spec.startsWith('/')) {
        if (!isElectron(spec)) return;
        const id = { core: 'coreElectron', renderer: 'rendererElectron', shared: 'sharedElectron' }[from];
        if (id) context.report({ node, messageId: id });
        return;
      }
      const abs = path.resolve(path.dirname(file), spec);
      const rel = sourceName(path.relative(root, abs).split(path.sep).join('/'));
      const to = rel.startsWith('..') ? null : area(rel);
      const data = { target: rel };
      if (from === 'core') {
        if (to && SHELLS.concat('renderer').includes(to)) context.report({ node, messageId: 'coreShell', data });
      } else if (from === 'renderer') {
        if (to !== 'renderer' && to !== 'shared') context.report({ node, messageId: 'rendererOutside', data });
      } else if (from === 'shared') {
        if (to !== 'shared') context.report({ node, messageId: 'sharedOutside', data });
      } else if (to === 'core' && rel !== CORE_SURFACE) {
        context.report({ node, messageId: 'shellPastSurface', data });
      }
    }

    const fromSource = (node) => {
      if (node.source) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      // import('x'); a computed specifier cannot be checked and is left alone.
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
        else if (node.source.type === 'TemplateLiteral' && node.source.expressions.length === 0) {
          check(node.source, node.source.quasis[0].value.cooked);
        }
      },
      // require('x'), where a module loads one through createRequire.
      CallExpression(node) {
        const [arg] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && arg?.type === 'Literal') check(arg, arg.value);
      },
      // type X = import('../main/x.js').Y
      TSImportType(node) {
        const arg = node.argument;
        const lit = arg?.type === 'TSLiteralType' ? arg.literal : arg;
        if (lit?.type === 'Literal') check(lit, lit.value);
      },
    };
  },
};
