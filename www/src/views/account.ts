// Account: change the PIN, and sign out, which asks before deleting unsent drafts (naming them)
// and says why when it refuses. Kept at the bottom of the page, far from Lock.

import { errorText, type Workspace } from '../api.ts';
import { errorBox, h, reveal } from '../dom.ts';
import type { SyncActions } from '../workspace/sync.ts';

export function renderAccount(ws: Workspace, act: SyncActions, onSignedOut: () => void): HTMLElement {
  const field = (id: string, label: string): [HTMLElement, HTMLInputElement] => {
    const input = h('input', { id, type: 'password', inputmode: 'numeric', autocomplete: id === 'old-pin' ? 'current-password' : 'new-password', 'data-testid': id });
    return [h('label', { for: id }, label), input];
  };
  const [l1, oldPin] = field('old-pin', 'Current PIN');
  const [l2, newPin] = field('new-pin', 'New PIN');
  const [l3, newPin2] = field('new-pin-confirm', 'Repeat the new PIN');
  const msg = h('p', { class: 'small', 'data-testid': 'change-pin-result', role: 'status' });
  const submit = h('button', { type: 'submit', 'data-testid': 'change-pin' }, 'Change PIN');
  const pinForm = h('form', { novalidate: true }, l1, oldPin, l2, newPin, l3, newPin2, submit, msg);
  pinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (newPin.value !== newPin2.value) {
      msg.textContent = 'The new PINs differ.';
      return;
    }
    submit.disabled = true;
    void (async () => {
      try {
        await ws.changePin(oldPin.value, newPin.value);
        msg.textContent = 'PIN changed.';
        msg.dataset['ok'] = 'true';
      } catch (err) {
        msg.textContent = errorText(err);
        msg.dataset['ok'] = 'false';
      } finally {
        oldPin.value = newPin.value = newPin2.value = '';
        submit.disabled = false;
      }
    })();
  });

  // Signing out with unsent drafts asks first, naming them, right under the button.
  const signOut = h('button', { type: 'button', class: 'danger-outline', 'data-testid': 'sign-out' }, 'Sign out');
  const question = h('p', { 'data-testid': 'sign-out-question' });
  const discard = h('button', { type: 'button', class: 'danger', 'data-testid': 'sign-out-discard' }, 'Delete drafts and sign out');
  const keep = h('button', { type: 'button', 'data-testid': 'sign-out-keep' }, 'Keep them');
  const confirm = h('div', { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'sign-out-q', 'data-testid': 'sign-out-confirm', hidden: true }, question, h('div', { class: 'row' }, keep, discard));
  question.id = 'sign-out-q';
  const refused = errorBox();
  refused.el.dataset['testid'] = 'sign-out-error';

  const trySignOut = (discardDrafts: boolean): void => {
    refused.show('');
    void act.signOut(discardDrafts).then(
      (drafts) => {
        if (!drafts) {
          confirm.hidden = true;
          onSignedOut();
          return;
        }
        const named = drafts.map((d) => (d.lines > 0 ? `${d.outlet} (${d.lines} ${d.lines === 1 ? 'line' : 'lines'})` : d.outlet));
        const one = drafts.length === 1;
        question.textContent =
          `Signing out deletes ${one ? 'the unsent draft' : `${drafts.length} unsent drafts`} on this device: ` +
          `${named.join(', ')}. ${one ? 'It was' : 'They were'} never committed, so nothing of ${one ? 'it' : 'them'} reached the server.`;
        keep.textContent = one ? 'Keep it' : 'Keep them';
        discard.textContent = one ? 'Delete the draft and sign out' : 'Delete the drafts and sign out';
        confirm.hidden = false;
        reveal(confirm);
        keep.focus({ preventScroll: true });
      },
      (err: unknown) => {
        confirm.hidden = true;
        refused.fail(err);
      },
    );
  };
  signOut.addEventListener('click', () => trySignOut(false));
  discard.addEventListener('click', () => trySignOut(true));
  keep.addEventListener('click', () => (confirm.hidden = true));

  return h(
    'section',
    { class: 'card account', 'data-testid': 'account', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, 'Account'),
    h('details', { 'data-testid': 'security' }, h('summary', {}, 'Change PIN'), pinForm),
    h('div', { class: 'signout' }, signOut, confirm, refused.el),
  );
}
