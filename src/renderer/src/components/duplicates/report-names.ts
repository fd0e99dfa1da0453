import type { ReportFormat } from '../../../../shared/api';

/** What each export is called in the buttons' notices and the summary line. */
export const FORMAT_NAMES: Record<ReportFormat, string> = { html: 'report', csv: 'CSV', json: 'JSON' };
