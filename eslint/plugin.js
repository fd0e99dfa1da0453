// Photowords' own ESLint rules, loaded by eslint.config.js as the `photowords` plugin.
import { layering } from './layering.js';
import { disableReason } from './disable-reason.js';

export default { meta: { name: 'photowords' }, rules: { layering, 'disable-reason': disableReason } };
