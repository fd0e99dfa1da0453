// The tray icon (the menu bar on macOS): a status line, Show, Pause/Resume, the background and
// login toggles, and Quit. The menu is the plain model of tray-model.ts turned into a Menu; it is
// rebuilt at most once a second, and only when it changed (Linux shows changed items only after
// setContextMenu, and rebuilding closes a menu the person has open). On macOS the Dock's menu
// gets the same items, less Quit (the Dock has its own).
import { app, Menu, nativeImage, Tray, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import path from 'node:path';
import { tooltip, trayMenu, type TrayActionId, type TrayInput, type TrayItem, type TrayToggleId } from './tray-model.js';

export interface AppTrayOptions {
  /** resources/tray (a build's resources folder when packaged). */
  iconDir: string;
  input: () => TrayInput;
  onAction: (id: TrayActionId) => void;
  onToggle: (id: TrayToggleId, checked: boolean) => void;
  log: (message: string) => void;
}

const MIN_UPDATE_MS = 1000;

export class AppTray {
  private tray?: Tray;
  private shown = '';
  private shownTooltip = '';
  private lastUpdate = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: AppTrayOptions) {}

  /** Creates the icon (after app 'ready'). */
  create(): void {
    const icon = this.icon();
    if (icon.isEmpty()) this.opts.log(`tray: no icon in ${this.opts.iconDir}; the tray entry may be blank`);
    this.tray = new Tray(icon);
    // On Windows and most Linux panels a click on the icon shows the window; the menu is on the
    // right button. On macOS a click opens the menu, as menu bar items do.
    if (process.platform !== 'darwin') this.tray.on('click', () => this.opts.onAction('show'));
    this.update(true);
  }

  private icon(): NativeImage {
    // "Template" in the name makes it a template image on macOS (tinted for light and dark menu bars).
    const file = process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png';
    const image = nativeImage.createFromPath(path.join(this.opts.iconDir, file));
    if (process.platform === 'darwin') image.setTemplateImage(true);
    return image;
  }

  /** The model as it is now (tests read it through main's test hook). */
  items(): TrayItem[] {
    return trayMenu(this.opts.input());
  }

  /** Shows the current status; `now` skips the once-a-second limit (a click, a toggle, quitting). */
  update(now = false): void {
    if (!this.tray || this.tray.isDestroyed()) return;
    const wait = this.lastUpdate + MIN_UPDATE_MS - Date.now();
    if (!now && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.update(true);
      }, wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastUpdate = Date.now();
    const input = this.opts.input();
    const items = trayMenu(input);
    const key = JSON.stringify(items);
    if (key !== this.shown) {
      this.shown = key;
      this.tray.setContextMenu(Menu.buildFromTemplate(items.map((i) => this.menuItem(i))));
      app.dock?.setMenu(Menu.buildFromTemplate(items.filter((i) => !(i.kind === 'action' && i.id === 'quit')).map((i) => this.menuItem(i))));
    }
    const tip = tooltip(input);
    if (tip !== this.shownTooltip) {
      this.shownTooltip = tip;
      this.tray.setToolTip(tip);
    }
  }

  /** Runs what the menu item `id` runs (main's test hook clicks through this). */
  click(id: TrayActionId | TrayToggleId): void {
    const item = this.items().find((i) => (i.kind === 'action' || i.kind === 'toggle') && i.id === id);
    if (!item || item.kind === 'status' || item.kind === 'separator' || !item.enabled) return;
    if (item.kind === 'action') this.opts.onAction(item.id);
    else this.opts.onToggle(item.id, !item.checked);
  }

  destroy(): void {
    clearTimeout(this.timer);
    if (this.tray && !this.tray.isDestroyed()) this.tray.destroy();
    this.tray = undefined;
  }

  get created(): boolean {
    return Boolean(this.tray && !this.tray.isDestroyed());
  }

  private menuItem(i: TrayItem): MenuItemConstructorOptions {
    switch (i.kind) {
      case 'status':
        return { label: i.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: i.label, enabled: i.enabled, click: () => this.opts.onAction(i.id) };
      case 'toggle':
        // The menu has already flipped the box when click runs: its new state is what was asked for.
        return { label: i.label, type: 'checkbox', checked: i.checked, enabled: i.enabled, click: (m) => this.opts.onToggle(i.id, m.checked) };
    }
  }
}
