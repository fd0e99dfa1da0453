// The info panel's words for a photo's details (PhotoInfo): exposure as photographers write it,
// the date as the camera's clock read it, coordinates with their hemispheres.
import type { PhotoInfo } from '../../shared/api';
import { bytes, count, dateTime } from './format';

/** One line of the panel: what, and its value in words; `key` names it for tests and styling. */
export interface InfoRow {
  key: string;
  label: string;
  value: string;
  /** A second, quieter line (the exact byte count, the folder of a path). */
  detail?: string;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * 'Mon, 1 May 2023, 14:32:10': the camera's wall clock, read as written. It is formatted as UTC
 * on purpose: the text has no zone, and the viewer's own zone must not shift it.
 */
export function takenText(taken: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(taken);
  if (!m) return taken;
  const day = dayFormat.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
  return `${day}, ${m[4]}:${m[5]}:${m[6]}`;
}

/** '1/120 s' below a second (as shutter speeds are marked), '2 s' or '1.3 s' above. */
export function exposureText(seconds: number): string {
  if (seconds >= 1) return `${Number(seconds.toFixed(1))}\u00a0s`;
  const inv = 1 / seconds;
  // 1/3, 1/2.5 and 1/1.6 are real marks; above 1/10 whole numbers are.
  return `1/${inv < 10 ? Number(inv.toFixed(1)) : Math.round(inv)}\u00a0s`;
}

/** '48.858300° N, 2.294500° E': six places are about 10 cm, more than any phone's GPS knows. */
export function placeText(p: { latitude: number; longitude: number }): string {
  const lat = `${Math.abs(p.latitude).toFixed(6)}° ${p.latitude < 0 ? 'S' : 'N'}`;
  const lon = `${Math.abs(p.longitude).toFixed(6)}° ${p.longitude < 0 ? 'W' : 'E'}`;
  return `${lat}, ${lon}`;
}

function megapixels(w: number, h: number): string {
  const mp = (w * h) / 1e6;
  return mp >= 0.95 ? `${mp.toFixed(1)} MP` : `${Math.round(mp * 100) / 100} MP`;
}

/** The panel's rows in the order a person reads them; rows the file says nothing about are left out. */
export function infoRows(info: PhotoInfo): InfoRow[] {
  const rows: InfoRow[] = [];
  if (info.taken) {
    rows.push({ key: 'taken', label: 'Taken', value: takenText(info.taken), detail: info.takenOffset ? `camera clock at UTC${info.takenOffset}` : undefined });
  }
  if (info.camera) rows.push({ key: 'camera', label: 'Camera', value: info.camera });
  if (info.lens) rows.push({ key: 'lens', label: 'Lens', value: info.lens });
  const exposure: string[] = [];
  if (info.exposureTime) exposure.push(exposureText(info.exposureTime));
  if (info.fNumber) exposure.push(`ƒ/${Number(info.fNumber.toFixed(1))}`);
  // No-break spaces: a line may break between the four figures, never inside one ('4.2 / mm').
  if (info.iso) exposure.push(`ISO\u00a0${count(info.iso)}`);
  if (info.focalLength) exposure.push(`${Number(info.focalLength.toFixed(1))}\u00a0mm`);
  if (exposure.length > 0) {
    const detail: string[] = [];
    if (info.focalLength35 && info.focalLength35 !== info.focalLength) detail.push(`${Math.round(info.focalLength35)} mm in 35 mm terms`);
    if (info.flash !== null) detail.push(info.flash ? 'flash fired' : 'no flash');
    rows.push({ key: 'exposure', label: 'Exposure', value: exposure.join(' · '), detail: detail.join(', ') || undefined });
  }
  if (info.width && info.height) {
    rows.push({ key: 'pixels', label: 'Size', value: `${count(info.width)} × ${count(info.height)} pixels`, detail: megapixels(info.width, info.height) });
  }
  rows.push({ key: 'bytes', label: 'File size', value: bytes(info.bytes), detail: `${count(info.bytes)} bytes` });
  rows.push({ key: 'type', label: 'Type', value: info.alpha ? `${info.type} with transparency` : info.type, detail: info.mime ?? undefined });
  if (info.place) {
    const alt = info.place.altitude;
    rows.push({
      key: 'place',
      label: 'Place',
      value: placeText(info.place),
      detail: alt !== null ? `${count(Math.round(Math.abs(alt)))} m ${alt < 0 ? 'below' : 'above'} sea level` : undefined,
    });
  }
  rows.push({ key: 'modified', label: 'Modified', value: dateTime(info.modifiedMs) });
  rows.push({ key: 'path', label: 'Path', value: info.path });
  return rows;
}
