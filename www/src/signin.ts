// The sign-in screen. Signing in registers this device with the server and downloads the
// reference data, so it is the one step that needs the network.

import { errorText, type SessionView, type WorkspaceApi } from './api.ts';
import { errorBox, h } from './dom.ts';

export function renderSignIn(
  root: HTMLElement,
  ws: WorkspaceApi,
  onSignedIn: (session: SessionView) => void,
): void {
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
      try {
        const session = await ws.signIn(username.value.trim(), password.value, pin.value);
        pin.value = '';
        pinConfirm.value = '';
        onSignedIn(session);
      } catch (err) {
        error.show(errorText(err));
        submit.disabled = false;
        submit.textContent = 'Sign in';
      }
    })();
  });

  root.replaceChildren(form);
  username.focus();
}
