// The groups ticked for "Trash all but the keepers", and what trashing all but the keepers of
// them, or of every group, would move.
import { computed, ref } from 'vue';
import { dup, keeperTrashPlan, type ShownGroup } from '../../duplicates';

export function useGroupSelection() {
  /** Groups ticked for "Trash all but the keepers: selected" (by key; only those still shown count). */
  const selected = ref(new Set<string>());
  const selectedGroups = computed(() => dup.groups.filter((g) => selected.value.has(g.key)));
  const allPlan = computed(() => keeperTrashPlan(dup.groups));
  const selectedPlan = computed(() => keeperTrashPlan(selectedGroups.value));

  function toggleSelected(g: ShownGroup, on?: boolean): void {
    const next = new Set(selected.value);
    if (on ?? !next.has(g.key)) next.add(g.key);
    else next.delete(g.key);
    selected.value = next;
  }

  function selectAll(on: boolean): void {
    selected.value = on ? new Set(dup.groups.map((g) => g.key)) : new Set();
  }

  return { selected, selectedGroups, allPlan, selectedPlan, toggleSelected, selectAll };
}
