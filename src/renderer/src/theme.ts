// Light, dark, or whatever the system says (the default). The palettes are in style.css; this
// only marks the page with the person's override, kept in this browser's storage (a look belongs
// to the screen it is seen on, not to the library, which several browsers may share).
import { ref, watch } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const KEY = 'photowords.theme';

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return THEME_CHOICES.includes(v as ThemeChoice) ? (v as ThemeChoice) : 'system';
  } catch {
    return 'system'; // storage refused (a locked-down profile): follow the system
  }
}

export const theme = ref<ThemeChoice>(stored());

function apply(t: ThemeChoice): void {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

/** Marks the page before the first paint, and again on every change. */
export function startTheme(): void {
  apply(theme.value);
  watch(theme, (t) => {
    apply(t);
    try {
      if (t === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, t);
    } catch {
      // Not kept past this page; it still applies now.
    }
  });
}
