// A member's link in words, as the CLI, the reports and the app show it.
import type { DuplicateMember } from './types.js';

/**
 * A member's link in words: how it came into its group, and with `nameOf`, to which member (the
 * keeper, or for a photo linked to every member, the member it is nearest).
 */
export function whyLinked(m: DuplicateMember, nameOf?: (id: number) => string | undefined): string {
  const l = m.link;
  if (!l) return '';
  const to = nameOf?.(l.to);
  const suffix = to ? ` to ${to}` : '';
  switch (l.by) {
    case 'bytes':
      return `same bytes as ${to ?? 'another copy'}`;
    case 'phash':
      return `perceptual hash ${l.distance} of 64 bits${suffix}`;
    case 'phash+words':
      return `perceptual hash ${l.distance} bits and visual words ${l.score.toFixed(2)}${suffix}`;
    case 'words':
      return `visual words ${l.score.toFixed(2)}${suffix}`;
    case 'crop':
      return `a crop of ${to ?? 'the keeper'} (hash ${l.distance} bits from the part it shows, visual words ${l.score.toFixed(2)})`;
    case 'turned': {
      const t =
        l.transform === 'mirror'
          ? 'mirrored'
          : l.transform === 'flip'
            ? 'upside-down'
            : l.transform === 'rot90'
              ? 'turned 90°'
              : l.transform === 'rot180'
                ? 'turned 180°'
                : l.transform === 'rot270'
                  ? 'turned 270°'
                  : l.transform;
      return `${t} copy (hash ${l.distance} bits after the turn)${suffix}`;
    }
  }
}
