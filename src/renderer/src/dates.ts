// Dates taken as the grid words them. The API gives the camera's wall clock without a zone
// ("2023-08-02T18:30:00"); it is read and formatted as UTC so no zone ever moves it to another day.
import type { PhotoDates } from '../../shared/api';
import type { GridSection } from './composables/useVirtualGrid';

export type GroupBy = 'day' | 'month' | 'none';

const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const shortMonthFmt = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const takenFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

const utc = (key: string) => new Date(`${key.length === 7 ? `${key}-01` : key.slice(0, 10)}T00:00:00Z`);

/** "August 2023" for '2023-08'. */
export function monthLabel(month: string): string {
  return monthFmt.format(utc(month));
}

/** "Aug 2023", for the scrubber's bubble. */
export function shortMonthLabel(month: string): string {
  return shortMonthFmt.format(utc(month));
}

/** "Wed, Aug 2, 2023" (in the browser's language) for '2023-08-02'. */
export function dayLabel(day: string): string {
  return dayFmt.format(utc(day));
}

/** A photo's date taken for a tooltip: "Aug 2, 2023, 06:30 PM", and whether it is only the file's date. */
export function takenLabel(taken: string | null | undefined, from?: string | null): string {
  if (!taken) return '';
  const d = new Date(`${taken}Z`);
  if (Number.isNaN(d.getTime())) return '';
  return from === 'mtime' ? `${takenFmt.format(d)} (file date: no date taken in the photo)` : takenFmt.format(d);
}

/** The grid's sections for a date listing: one per day or month, in the listing's order, undated last (or first, oldest first). */
export function dateSections(dates: PhotoDates, by: GroupBy): GridSection[] {
  if (by === 'none') return [];
  const out: GridSection[] = [];
  let at = 0;
  const undated = () => {
    if (dates.undated > 0) {
      out.push({ start: at, count: dates.undated, label: 'Date not read yet', key: 'undated' });
      at += dates.undated;
    }
  };
  // Photos without a date sort first oldest-first (SQL NULLs are lowest), last newest-first.
  if (dates.order === 'asc') undated();
  if (by === 'month') {
    for (const m of dates.months) {
      out.push({ start: at, count: m.count, label: monthLabel(m.month), key: m.month });
      at += m.count;
    }
  } else {
    for (const d of dates.days) {
      out.push({ start: at, count: d.count, label: dayLabel(d.day), key: d.day });
      at += d.count;
    }
  }
  if (dates.order === 'desc') undated();
  return out;
}
