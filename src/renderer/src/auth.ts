// Sign-in as the page sees it (docs/SERVER.md). Only a browser page talks to a server that may ask
// for a password; in Electron the API comes over IPC from the app's own process, so the phase
// is always 'app' and none of the account UI shows.
import { computed, ref, shallowRef } from 'vue';
import { HTTP, type ApiTokenInfo, type AuthScope, type AuthState, type NewApiToken } from '../../shared/api';
import { api, ApiError, authCall, errorMessage, fetchAuthState, onAuthState, setAuthState } from './api';

export const auth = shallowRef<AuthState | null>(null);
/** Why the state could not be read (the server is down): shown with a retry. */
export const loadError = ref<string | null>(null);
/** The session ended without the person signing out (expired, or signed out elsewhere). */
export const sessionExpired = ref(false);
/** Set when setup found a password already set (another tab or `photowords password` won). */
export const setupTaken = ref(false);

export type Phase = 'loading' | 'unreachable' | 'setup' | 'signin' | 'app';

export const phase = computed<Phase>(() => {
  if (api.shell !== 'browser') return 'app';
  const s = auth.value;
  if (!s) return loadError.value ? 'unreachable' : 'loading';
  if (!s.required) return 'app';
  if (!s.passwordSet) return 'setup';
  return s.signedIn ? 'app' : 'signin';
});

/** Signed in to a server that asks for sign-in: sign-out and the password apply. */
export const account = computed(() => api.shell === 'browser' && !!auth.value?.required && auth.value.signedIn);
/** Only a full-scope session may see and make API tokens or change the password. */
export const fullScope = computed(() => account.value && auth.value?.scope === 'full');

let signingOut = false;
onAuthState((s) => {
  const was = auth.value;
  if (was?.required && was.signedIn && !s.signedIn && !signingOut) sessionExpired.value = true;
  if (s.signedIn) sessionExpired.value = false;
  auth.value = s;
});

/** The setup token from the page's ?setup= (the link the server printed), read once. */
export const urlSetupToken = ref<string | null>(null);

/**
 * Reads ?setup= and removes it from the address bar (and so from history, bookmarks and
 * screen shares) before anything else runs; then asks the server where this page stands.
 */
export function startAuth(): void {
  if (api.shell !== 'browser') return;
  const url = new URL(location.href);
  const token = url.searchParams.get('setup');
  if (token !== null) {
    urlSetupToken.value = token.trim() || null;
    url.searchParams.delete('setup');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  void loadAuth();
}

export async function loadAuth(): Promise<void> {
  loadError.value = null;
  try {
    await fetchAuthState();
  } catch (err) {
    loadError.value = errorMessage(err);
  }
}

export async function setupPassword(password: string, setupToken: string | null): Promise<void> {
  setAuthState(await authCall<AuthState>(HTTP.authSetup, setupToken ? { password, setupToken } : { password }, { keep401: true }));
  urlSetupToken.value = null;
}

export async function signIn(password: string): Promise<void> {
  setAuthState(await authCall<AuthState>(HTTP.authLogin, { password }, { keep401: true }));
  setupTaken.value = false;
}

export async function signOut(): Promise<void> {
  signingOut = true;
  try {
    setAuthState(await authCall<AuthState>(HTTP.authLogout, {}, { keep401: true }));
    // Nothing of the library stays in this page's memory (searches, duplicate groups, folder
    // paths) for whoever uses this browser next: a fresh page, which shows sign-in.
    location.reload();
  } catch (err) {
    // Already signed out (the session expired meanwhile): the state says so; anything else is shown.
    await fetchAuthState().catch(() => undefined);
    if (auth.value?.signedIn) throw err;
  } finally {
    signingOut = false;
  }
}

export async function changePassword(current: string, password: string): Promise<void> {
  try {
    setAuthState(await authCall<AuthState>(HTTP.authPassword, { current, password }, { keep401: true }));
  } catch (err) {
    // A 401 is a wrong current password, unless the session itself is gone: the state tells which.
    if (err instanceof ApiError && err.status === 401) await fetchAuthState().catch(() => undefined);
    throw err;
  }
}

export function listTokens(): Promise<ApiTokenInfo[]> {
  return authCall<ApiTokenInfo[]>(HTTP.authTokens);
}

export function createToken(name: string, scope: AuthScope): Promise<NewApiToken> {
  return authCall<NewApiToken>(HTTP.authTokens, { name, scope });
}

export async function revokeToken(id: number): Promise<void> {
  await authCall<{ ok: true }>(HTTP.authTokensRevoke, { id });
}
