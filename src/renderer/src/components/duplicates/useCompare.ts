// Which group the compare overlay shows and which two of its photos, for either tab.
import { computed, shallowRef } from 'vue';
import type { DuplicatePhoto, SimilarShotGroup } from '../../../../shared/api';
import { asComparePhoto, dup, type ShownGroup } from '../../duplicates';

export function useCompare() {
  /** Which group is compared: a "same photo" group (by key) or a similar-shots group. */
  const compare = shallowRef<{ tier: 'same' | 'similar'; key: string; leftId: number; rightId: number } | null>(null);
  const compareGroup = computed(() => (compare.value?.tier === 'same' ? (dup.groups.find((g) => g.key === compare.value!.key) ?? null) : null));
  const compareSimilar = computed(() => (compare.value?.tier === 'similar' ? (dup.similar.find((g) => g.key === compare.value!.key) ?? null) : null));
  const compareMembers = computed<DuplicatePhoto[] | null>(() => {
    if (compareGroup.value) return compareGroup.value.members;
    const s = compareSimilar.value;
    return s ? s.members.map((m, i) => asComparePhoto(m, i === 0)) : null;
  });

  function openCompare(g: ShownGroup, photo?: DuplicatePhoto): void {
    const keeper = g.members.find((m) => m.id === g.keeper) ?? g.members[0];
    const other = photo && photo.id !== keeper.id ? photo : g.members.find((m) => m.id !== keeper.id)!;
    compare.value = { tier: 'same', key: g.key, leftId: keeper.id, rightId: other.id };
  }

  function openSimilarCompare(g: SimilarShotGroup, id?: number): void {
    const first = g.members[0];
    const other = id !== undefined && id !== first.id ? id : g.members[1].id;
    compare.value = { tier: 'similar', key: g.key, leftId: first.id, rightId: other };
  }

  function pick(side: 'left' | 'right', id: number): void {
    const c = compare.value;
    if (!c) return;
    compare.value = side === 'left' ? { ...c, leftId: id } : { ...c, rightId: id };
  }

  return { compare, compareGroup, compareMembers, openCompare, openSimilarCompare, pick };
}
