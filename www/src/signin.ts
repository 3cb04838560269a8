// The sign-in screen. Signing in registers this device with the server and downloads the
// reference data, so it is the one step that needs the network.

import type { SessionView, SyncStatusView, Workspace } from './api.ts';
import { errorBox, h } from './dom.ts';

export interface SignInScreen {
  /** The module's sync status while signing in: the first download's progress. */
  onStatus(s: SyncStatusView): void;
}

/** `ws` may still be loading (the screen is painted before the module has compiled): typing
 * works at once, and a submit waits for the module. */
export function renderSignIn(
  root: HTMLElement,
  ws: Workspace | Promise<Workspace>,
  onSignedIn: (session: SessionView) => void,
  hooks: {
    /** Sign-in started / ended (the page holds this screen until the first download is done). */
    onBusy?: (busy: boolean) => void;
    /** The sign-in was refused (the error is shown on this screen). */
    onFailed?: () => void;
  } = {},
): SignInScreen {
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
    'data-testid': 'username',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'password',
  });
  // The PIN unlocks this device from now on (the server never sees it). Digits or a passphrase.
  const pin = h('input', {
    id: 'pin',
    name: 'pin',
    type: 'password',
    inputmode: 'numeric',
    autocomplete: 'new-password',
    minlength: 6,
    required: true,
    'data-testid': 'pin',
  });
  const pinConfirm = h('input', {
    id: 'pin-confirm',
    name: 'pin-confirm',
    type: 'password',
    inputmode: 'numeric',
    autocomplete: 'new-password',
    required: true,
    'data-testid': 'pin-confirm',
  });
  const error = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'sign-in' }, 'Sign in');
  const progress = h('p', { class: 'hint', 'data-testid': 'sign-in-progress', role: 'status', hidden: true });
  let busy = false;

  const form = h(
    'form',
    { class: 'card signin', novalidate: true },
    h('h1', {}, 'Satchel'),
    h('p', { class: 'muted' }, 'Sign in once with a connection; after that Satchel works offline.'),
    h('label', { for: 'username' }, 'Username'),
    username,
    h('label', { for: 'password' }, 'Password'),
    password,
    h('label', { for: 'pin' }, 'Choose a PIN for this device (6 or more digits)'),
    pin,
    h('label', { for: 'pin-confirm' }, 'Repeat the PIN'),
    pinConfirm,
    h('p', { class: 'hint' }, 'Satchel locks itself when left alone; the PIN opens it again, offline too.'),
    error.el,
    submit,
    progress,
    h('p', { class: 'hint', 'data-testid': 'demo-hint' }, 'Demo: ', h('code', {}, 'rep1 / rep1-demo')),
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      error.show('');
      if (pin.value !== pinConfirm.value) {
        error.show('The two PINs differ; type the same PIN twice.');
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Signing in…';
      busy = true;
      hooks.onBusy?.(true);
      try {
        const session = await (await ws).signIn(username.value.trim(), password.value, pin.value);
        pin.value = '';
        pinConfirm.value = '';
        busy = false;
        hooks.onBusy?.(false);
        onSignedIn(session);
      } catch (err) {
        busy = false;
        hooks.onBusy?.(false);
        progress.hidden = true;
        error.fail(err);
        submit.disabled = false;
        submit.textContent = 'Sign in';
        hooks.onFailed?.();
      }
    })();
  });

  root.replaceChildren(form);
  username.focus();
  return {
    onStatus(s: SyncStatusView) {
      // The first download runs page by page inside the sign-in.
      if (!busy || s.reference_complete) return;
      const left = s.reference_remaining ?? 0;
      progress.hidden = false;
      progress.textContent = left > 0 ? `Downloading catalog… ${left} change${left === 1 ? '' : 's'} left` : 'Downloading catalog…';
      progress.dataset['remaining'] = String(left);
    },
  };
}
