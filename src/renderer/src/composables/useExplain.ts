// One explanation of a pair at a time, for the compare view and the Why overlay: asked again when
// the pair changes, an answer for an older pair dropped.
import { computed, markRaw, ref, shallowRef, watch, type Ref } from 'vue';
import type { PairExplanation } from '../../../shared/api';
import { api, errorMessage } from '../api';

export const WHY_TOP_WORDS = 16;

export function useExplain(pair: Ref<{ a: number; b: number } | null>) {
  const explanation = shallowRef<PairExplanation | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** A word picked in the list: its cells are outlined on both photos. */
  const picked = ref<number | null>(null);
  let seq = 0;

  watch(
    pair,
    async (p, old) => {
      if (p && old && p.a === old.a && p.b === old.b) return;
      const mine = ++seq;
      explanation.value = null;
      picked.value = null;
      error.value = null;
      if (!p) {
        loading.value = false;
        return;
      }
      loading.value = true;
      try {
        const e = await api.explain(p.a, p.b, { top: WHY_TOP_WORDS });
        if (mine === seq) explanation.value = markRaw(e);
      } catch (err) {
        if (mine === seq) error.value = errorMessage(err);
      } finally {
        if (mine === seq) loading.value = false;
      }
    },
    { immediate: true },
  );

  const outline = computed(() => {
    const e = explanation.value;
    const w = e && picked.value !== null ? e.words.find((x) => x.term === picked.value) : undefined;
    return w ? w.cells : null;
  });

  return { explanation, loading, error, picked, outline };
}
