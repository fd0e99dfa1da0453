// The preview's details panel state: whether it is open (remembered across launches), and the
// details of the photo shown, read once per photo and kept for the last few.
import { ref, shallowRef, watch, type Ref } from 'vue';
import type { PhotoInfo } from '../../../../shared/api';
import { api, errorMessage } from '../../api';

/** `onToggle` runs when the panel opens or closes (the photo's room changes). */
export function usePhotoInfo(photo: Ref<{ id?: number; path?: string }>, onToggle: () => void) {
  const INFO_KEY = 'photowords.previewInfo';
  function storedInfoOpen(): boolean {
    try {
      return localStorage.getItem(INFO_KEY) === '1';
    } catch {
      return false;
    }
  }
  const infoOpen = ref(storedInfoOpen());
  watch(infoOpen, (open) => {
    try {
      localStorage.setItem(INFO_KEY, open ? '1' : '0');
    } catch {
      // Storage may be off (a private window); the panel just does not remember.
    }
    onToggle();
  });

  const info = shallowRef<PhotoInfo | null>(null);
  const infoError = ref<string | null>(null);
  const infoLoading = ref(false);
  // The last few answers, so stepping back and forth does not read the files again.
  const infoCache = new Map<number, PhotoInfo>();
  let infoSeq = 0;

  async function loadInfo(): Promise<void> {
    const id = photo.value.id;
    const mine = ++infoSeq;
    infoError.value = null;
    if (!infoOpen.value || id === undefined) {
      info.value = null;
      infoLoading.value = false;
      return;
    }
    const hit = infoCache.get(id);
    if (hit) {
      info.value = hit;
      infoLoading.value = false;
      return;
    }
    info.value = null;
    infoLoading.value = true;
    try {
      const got = await api.photoInfo(id);
      if (mine !== infoSeq) return;
      infoCache.set(id, got);
      if (infoCache.size > 50) infoCache.delete(infoCache.keys().next().value!);
      info.value = got;
    } catch (err) {
      if (mine === infoSeq) infoError.value = errorMessage(err);
    } finally {
      if (mine === infoSeq) infoLoading.value = false;
    }
  }
  watch([() => photo.value.id, () => photo.value.path, infoOpen], () => void loadInfo(), { immediate: true });

  return { infoOpen, info, infoError, infoLoading };
}
