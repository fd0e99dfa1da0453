// Sign-in to `photowords serve` as the page sees it (docs/SERVER.md). Part of the API (src/shared/api.ts).

/** What an API token or session may do: 'read' calls only GETs and READ_ONLY_METHODS. */
export type AuthScope = 'full' | 'read';

/** Where this browser stands with the server (GET HTTP.authState). */
export interface AuthState {
  /** Sign-in is needed (any bind but loopback, or --auth). */
  required: boolean;
  /** The owner's password has been set (false: first-run setup). */
  passwordSet: boolean;
  signedIn: boolean;
  scope: AuthScope | null;
  /** The token to send in CSRF_HEADER on changing calls: the session's, or per server run when sign-in is not required; null when signed out. */
  csrf: string | null;
  /** Setup needs the token printed in the setup URL (?setup=...), because this request is not from loopback on a loopback bind. */
  setupNeedsToken: boolean;
}

/** An API token as listed (its secret is never shown again). */
export interface ApiTokenInfo {
  id: number;
  name: string;
  scope: AuthScope;
  /** ms since 1970. */
  created: number;
  lastUsed: number | null;
}

/** A token just created: `token` (pwt_...) is shown this once; the server keeps only its hash. */
export interface NewApiToken {
  id: number;
  name: string;
  scope: AuthScope;
  token: string;
}
