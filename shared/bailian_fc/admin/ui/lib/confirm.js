// An in-page confirmation for actions that change things (cache purge, enabling, disabling or
// removing a job): a real dialog the page owns, so it looks the same everywhere and tests can
// answer it. Resolves true only for the confirm button; Escape, the backdrop and Cancel say no.

import { h } from './dom.js';
import { t, tl } from './i18n.js';

export function confirmAction(message, { danger = true } = {}) {
  return new Promise((resolve) => {
    const done = (answer) => { backdrop.remove(); document.removeEventListener('keydown', onKey); resolve(answer); };
    const onKey = (e) => { if (e.key === 'Escape') done(false); };
    const ok = h(`button${danger ? '.danger-solid' : '.primary'}`, { dataset: { role: 'confirm-ok' }, onclick: () => done(true) }, tl('confirm'));
    const box = h('div.dialog', { role: 'alertdialog', 'aria-modal': 'true', 'aria-label': t('confirm') },
      h('p', { dataset: { role: 'confirm-message' } }, message),
      h('div.row.end', h('button', { dataset: { role: 'confirm-cancel' }, onclick: () => done(false) }, tl('cancel')), ok));
    const backdrop = h('div.backdrop', { onclick: (e) => { if (e.target === backdrop) done(false); } }, box);
    document.addEventListener('keydown', onKey);
    document.body.append(backdrop);
    ok.focus();
  });
}
