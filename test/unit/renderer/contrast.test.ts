// WCAG AA contrast of both palettes (src/renderer/src/style.css), computed from the file itself:
// body text, muted text, links, warnings, errors and badges at 4.5:1 or more on every surface
// they sit on, and the score badges over the photo under them (any photo: checked over white and
// over black). The rendered page's colours are checked again in test/e2e/layout.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { contrastRatio, parseColor, over } from '../../fixtures/contrast.js';

const css = fs.readFileSync('src/renderer/src/style.css', 'utf8');

function block(selector: string, from = 0): Record<string, string> {
  const i = css.indexOf(`${selector} {`, from);
  assert.ok(i >= 0, `${selector} in style.css`);
  const body = css.slice(css.indexOf('{', i) + 1, css.indexOf('}', i));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/--([\w-]+):\s*([^;]+);/g)) vars[m[1]] = m[2].trim();
  return vars;
}

const light = block(':root');
const darkSystem = block(":root:not([data-theme='light'])", css.indexOf('@media (prefers-color-scheme: dark)'));
const darkChosen = block(":root[data-theme='dark']");

test('the dark palette is the same whether the system or the setting asks for it', () => {
  assert.deepEqual(darkSystem, darkChosen);
  assert.deepEqual(Object.keys(darkChosen).sort(), Object.keys(light).sort(), 'every colour has a dark value');
  // The page as a whole says it has both schemes; only the Light setting pins it to light.
  assert.match(css, /:root \{[^}]*color-scheme: light dark;/);
  assert.match(css, /:root\[data-theme='light'\] \{\s*color-scheme: light;\s*\}/);
});

// [text, background(s)]: what sits on what in the components.
const PAIRS: [string, string[]][] = [
  ['text', ['bg', 'sidebar', 'panel', 'hover', 'selected', 'cell-bg', 'warn-bg', 'ok-bg']],
  ['muted', ['bg', 'sidebar', 'panel', 'hover', 'selected', 'cell-bg']],
  ['accent', ['bg', 'sidebar', 'panel', 'hover', 'selected']],
  ['danger', ['bg', 'sidebar', 'panel', 'danger-bg']],
  ['warn', ['bg', 'sidebar', 'panel', 'warn-bg']],
  ['on-accent', ['accent']],
  ['on-ok', ['ok']],
  ['on-danger', ['danger']],
];

for (const [name, palette] of [
  ['light', light],
  ['dark', darkChosen],
] as const) {
  test(`${name} palette: text, muted text, links and badges reach WCAG AA (4.5:1)`, () => {
    const rows: string[] = [];
    let worst = Infinity;
    for (const [fg, bgs] of PAIRS) {
      for (const bg of bgs) {
        const back = parseColor(palette[bg]);
        const r = contrastRatio(over(parseColor(palette[fg]), back), back);
        worst = Math.min(worst, r);
        rows.push(`${fg} on ${bg} ${r.toFixed(2)}`);
        assert.ok(r >= 4.5, `${name}: --${fg} on --${bg} is ${r.toFixed(2)}:1`);
      }
    }
    // The score badge: its translucent background over any photo, white or black.
    for (const photo of ['#ffffff', '#000000']) {
      const back = over(parseColor(palette['badge-bg']), parseColor(photo));
      const r = contrastRatio(parseColor(palette['badge-text']), back);
      rows.push(`badge over ${photo} ${r.toFixed(2)}`);
      assert.ok(r >= 4.5, `${name}: badge text over a ${photo} photo is ${r.toFixed(2)}:1`);
    }
    console.log(`${name}: worst ${worst.toFixed(2)}; ${rows.join(', ')}`);
  });
}
