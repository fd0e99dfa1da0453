// The renderer's only door to the rest of the app: a narrow API through contextBridge.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('photowords', {
  versions: { electron: process.versions.electron, chrome: process.versions.chrome },
});
