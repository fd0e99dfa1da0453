// The rules the server applies to the owner's password, and a rough strength hint for the
// person choosing it. The hint is a guess from length, kinds of characters and obvious patterns
// (repeats, runs like "1234", well-known passwords); it cannot know what an attacker knows.

/** The server's limits (auth-contract: 10 to 1024 characters). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 1024;

/** Counted as code points, as a person counts characters (an emoji is one). */
export function passwordLength(pw: string): number {
  return [...pw].length;
}

const COMMON = ['password', 'passwort', 'photowords', 'qwerty', 'azerty', 'letmein', 'welcome', 'iloveyou', 'admin', 'monkey', 'dragon', 'sunshine', 'princess', 'football', 'abc123', '123456'];

export interface Strength {
  /** 0 too short, 1 weak, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  advice: string;
}

function effectiveLength(pw: string): number {
  const cps = [...pw.toLowerCase()].map((c) => c.codePointAt(0)!);
  let n = 0;
  for (let i = 0; i < cps.length; i++) {
    const d = i > 0 ? cps[i]! - cps[i - 1]! : NaN;
    const prevD = i > 1 ? cps[i - 1]! - cps[i - 2]! : NaN;
    // A repeat ("aaaa") or a run ("abcd", "4321") adds little once it has started.
    n += d === 0 || (Math.abs(d) === 1 && d === prevD) ? 0.25 : 1;
  }
  const lower = pw.toLowerCase();
  for (const w of COMMON) if (lower.includes(w)) n -= w.length - 1;
  return Math.max(0, n);
}

function pool(pw: string): number {
  let p = 0;
  if (/[a-z]/.test(pw)) p += 26;
  if (/[A-Z]/.test(pw)) p += 26;
  if (/[0-9]/.test(pw)) p += 10;
  if (/[ -/:-@[-`{-~]/.test(pw)) p += 33;
  // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: all of ASCII.
  if (/[^\x00-\x7f]/.test(pw)) p += 100;
  return Math.max(p, 2);
}

export function passwordStrength(pw: string): Strength {
  if (passwordLength(pw) < PASSWORD_MIN) {
    return { score: 0, label: 'Too short', advice: `Use at least ${PASSWORD_MIN} characters.` };
  }
  const bits = effectiveLength(pw) * Math.log2(pool(pw));
  if (bits < 45) return { score: 1, label: 'Weak', advice: 'Easy to guess. Add more words or characters; avoid repeats, runs like 1234 and well-known passwords.' };
  if (bits < 65) return { score: 2, label: 'Fair', advice: 'Longer is stronger: a few more unrelated words would help.' };
  if (bits < 90) return { score: 3, label: 'Good', advice: 'A good password. Keep it in a password manager.' };
  return { score: 4, label: 'Strong', advice: 'A strong password. Keep it in a password manager.' };
}

/** Why the new password cannot be used yet, or null when it can. */
export function newPasswordProblem(pw: string, confirm: string): string | null {
  const n = passwordLength(pw);
  if (n < PASSWORD_MIN) return `The password needs at least ${PASSWORD_MIN} characters (it has ${n}).`;
  if (n > PASSWORD_MAX) return `The password may have at most ${PASSWORD_MAX} characters.`;
  if (pw !== confirm) return 'The two passwords are not the same.';
  return null;
}
