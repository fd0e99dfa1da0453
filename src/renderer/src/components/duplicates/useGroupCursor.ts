// The keyboard review's cursor over the "Same photo" groups: which group and photo it is on, the
// one group in the tab order, and keeping it in place (and in view) as groups come and go.
import { computed, nextTick, ref, watch, type Ref } from 'vue';
import type { DuplicatePhoto } from '../../../../shared/api';
import { dup, type ShownGroup } from '../../duplicates';

/** `shown` is how many groups the list shows; moving past them shows the next page of `page`. */
export function useGroupCursor(shown: Ref<number>, page: number) {
  /** Where the cursor last was, so the group that takes a removed one's place gets it. */
  let lastIndex = 0;
  /** The group the keyboard is on (by key), and the photo within it (by id). */
  const cursorKey = ref<string | null>(null);
  const cursorMember = ref<number | null>(null);
  const groupEls = new Map<string, HTMLElement>();
  const cursorIndex = computed(() => {
    const i = cursorKey.value === null ? -1 : dup.groups.findIndex((g) => g.key === cursorKey.value);
    return i;
  });
  /** The one group in the tab order: the cursor's, else the first. */
  const tabKey = computed(() => (cursorIndex.value >= 0 ? cursorKey.value : (dup.groups[0]?.key ?? null)));

  function setGroupEl(key: string, card: unknown): void {
    // A group card's element (the ref names the component; its root is the group's <li>).
    const el = card && typeof card === 'object' && '$el' in card ? card.$el : card;
    if (el instanceof HTMLElement) groupEls.set(key, el);
    else groupEls.delete(key);
  }

  function moveTo(index: number, member?: number): void {
    const g = dup.groups[Math.max(0, Math.min(dup.groups.length - 1, index))];
    if (!g) return;
    const i = dup.groups.indexOf(g);
    if (i >= shown.value) shown.value = i + 1 + page - ((i + 1) % page || page);
    cursorKey.value = g.key;
    cursorMember.value = member ?? g.members.find((m) => m.id !== g.keeper)?.id ?? g.members[0].id;
    void nextTick(focusCursor);
  }

  function focusCursor(): void {
    // The group that took a removed group's place keeps the keyboard where it was.
    if (cursorKey.value !== null && cursorIndex.value < 0 && dup.groups.length > 0) {
      const g = dup.groups[Math.min(lastIndex, dup.groups.length - 1)];
      cursorKey.value = g.key;
      cursorMember.value = g.members.find((m) => m.id !== g.keeper)?.id ?? g.members[0].id;
    }
    const el = cursorKey.value ? groupEls.get(cursorKey.value) : null;
    if (!el) return;
    if (!el.contains(document.activeElement) || document.activeElement !== el) el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest' });
  }

  watch(cursorIndex, (i) => {
    if (i >= 0) lastIndex = i;
  });

  function onGroupFocus(g: ShownGroup): void {
    if (cursorKey.value === g.key) return;
    cursorKey.value = g.key;
    cursorMember.value = g.members.find((m) => m.id !== g.keeper)?.id ?? g.members[0].id;
  }

  function cursorPhoto(g: ShownGroup): DuplicatePhoto {
    return g.members.find((m) => m.id === cursorMember.value) ?? g.members[0];
  }

  function rememberIndex(i: number): void {
    lastIndex = i;
  }

  return { cursorKey, cursorMember, tabKey, setGroupEl, moveTo, focusCursor, rememberIndex, onGroupFocus, cursorPhoto };
}
