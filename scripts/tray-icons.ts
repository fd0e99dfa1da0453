// Draws the tray icons in resources/tray from SVG with sharp (run again after changing a design):
//   node --import tsx scripts/tray-icons.ts
// tray*.png: the app's mark (the favicon's four tiles on its blue square), for Windows and Linux
// panels, light or dark. trayTemplate*.png: black tiles on transparent for the macOS menu bar,
// which Electron treats as a template image (the "Template" suffix) and tints for light and dark.
// @2x and @3x files are the same icon for high-DPI screens; nativeImage picks them up by name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../resources/tray');

const tiles = (fill: string, faint: string) =>
  `<rect x="6" y="6" width="9" height="9" rx="2" fill="${fill}"/><rect x="17" y="6" width="9" height="9" rx="2" fill="${faint}"/>` +
  `<rect x="6" y="17" width="9" height="9" rx="2" fill="${faint}"/><rect x="17" y="17" width="9" height="9" rx="2" fill="${fill}"/>`;

const SVG = {
  tray: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2f62d8"/>${tiles('#fff', 'rgba(255,255,255,0.6)')}</svg>`,
  // A template image is read for its alpha only; the tiles fill more of the square without a background.
  trayTemplate: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="3 3 26 26">${tiles('#000', 'rgba(0,0,0,0.55)')}</svg>`,
};

fs.mkdirSync(dir, { recursive: true });
for (const [name, svg] of Object.entries(SVG)) {
  fs.writeFileSync(path.join(dir, `${name}.svg`), `${svg}\n`);
  for (const [suffix, px] of [
    ['', 16],
    ['@2x', 32],
    ['@3x', 48],
  ] as const) {
    const file = path.join(dir, `${name}${suffix}.png`);
    await sharp(Buffer.from(svg), { density: 72 * (px / 16) * 2 })
      .resize(px, px)
      .png({ compressionLevel: 9 })
      .toFile(file);
    console.log(`${path.relative(process.cwd(), file)}: ${px}x${px}, ${fs.statSync(file).size} bytes`);
  }
}
