// The lock screen. The workspace locked itself (inactivity, the Lock button, a reload): the
// data key is gone from memory and nothing of the business is on screen. Orders already
// committed keep uploading meanwhile: the outbox is sealed to the server.

import type { SessionView, SyncStatusView, VaultStatusView, Workspace } from './api.ts';
import { errorBox, h } from './dom.ts';

export interface LockScreen {
  el: HTMLElement;
  /** Sync status while locked (pending count). */
  onStatus(s: SyncStatusView): void;
  /** Vault changes (attempt counts, delays, re-authentication). */
  onVault(v: VaultStatusView): void;
  /** Whose workspace this is, once the module has read it. */
  setSession(s: SessionView | undefined): void;
}

/** `ws` may still be loading (the screen is painted before the module has compiled, from the
 * page's last known state): the PIN can be typed at once, and Unlock waits for the module. */
export function renderLock(wsOrLoading: Workspace | Promise<Workspace>, session: SessionView | undefined): LockScreen {
  let live: Workspace | undefined = wsOrLoading instanceof Promise ? undefined : wsOrLoading;
  const workspace = async (): Promise<Workspace> => live ?? (live = await wsOrLoading);
  const pin = h('input', {
    id: 'unlock-pin',
    type: 'password',
    inputmode: 'numeric',
    autocomplete: 'current-password',
    'data-testid': 'unlock-pin',
  });
  const unlock = h('button', { type: 'submit', class: 'primary', 'data-testid': 'unlock' }, 'Unlock');
  const error = errorBox();
  const retry = h('p', { class: 'muted', 'data-testid': 'lock-retry', hidden: true });
  const warn = h('p', { class: 'warn', 'data-testid': 'lock-attempts-left', role: 'status', hidden: true });
  const pending = h('p', { class: 'muted small', 'data-testid': 'lock-pending' });
  const pinForm = h('form', { novalidate: true }, h('label', { for: 'unlock-pin' }, 'PIN'), pin, warn, retry, unlock);

  // After too many wrong PINs: the password, online, before more attempts.
  const reUser = h('input', { id: 'reauth-username', autocomplete: 'username', autocapitalize: 'none', value: session?.username ?? '', 'data-testid': 'reauth-username' });
  const rePass = h('input', { id: 'reauth-password', type: 'password', autocomplete: 'current-password', 'data-testid': 'reauth-password' });
  const reSubmit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'reauth-submit' }, 'Sign in to unlock');
  const reForm = h(
    'form',
    { novalidate: true, hidden: true, 'data-testid': 'reauth-form' },
    h('p', {}, 'Too many wrong PINs. Sign in with your password (online) to try again.'),
    h('label', { for: 'reauth-username' }, 'Username'),
    reUser,
    h('label', { for: 'reauth-password' }, 'Password'),
    rePass,
    reSubmit,
  );

  const whose = h('p', { class: 'muted', 'data-testid': 'lock-whose' });
  const setSession = (s: SessionView | undefined): void => {
    whose.textContent = s ? `Satchel of ${s.display_name || s.username}. Enter your PIN to continue.` : 'Enter your PIN.';
    if (s && reUser.value === '') reUser.value = s.username;
  };
  setSession(session);
  const el = h(
    'section',
    { class: 'card lock', 'data-testid': 'lock-screen' },
    h('h1', {}, 'Locked'),
    whose,
    pinForm,
    reForm,
    error.el,
    pending,
  );

  let countdown: number | undefined;
  // An unlock in flight (it may wait for the module): the button stays off until it ends.
  let submitting = false;
  function onVault(v: VaultStatusView): void {
    reForm.hidden = !v.reauthentication_required;
    pinForm.hidden = v.reauthentication_required;
    if (countdown !== undefined) clearInterval(countdown);
    countdown = undefined;
    const until = v.retry_after_ms ? Date.now() + v.retry_after_ms : 0;
    const tick = (): void => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        retry.hidden = false;
        retry.textContent = `Too many wrong PINs. Try again in ${left} s.`;
        retry.dataset['seconds'] = String(left);
        unlock.disabled = true;
      } else {
        retry.hidden = true;
        unlock.disabled = submitting;
        if (countdown !== undefined) clearInterval(countdown);
        countdown = undefined;
      }
    };
    tick();
    if (until > Date.now()) countdown = window.setInterval(tick, 1000);
    el.dataset['failed'] = String(v.failed_attempts);
    // Before the delay starts: how many wrong PINs are left (core's policy says).
    const left = v.attempts_before_delay;
    warn.hidden = v.failed_attempts === 0 || left === undefined || !retry.hidden;
    warn.textContent = left === undefined ? '' : left === 1 ? 'One more wrong PIN and you will have to wait.' : `${left} more wrong PINs and you will have to wait.`;
    warn.dataset['left'] = String(left ?? '');
  }

  pinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (submitting) return;
    submitting = true;
    unlock.disabled = true;
    error.show('');
    const value = pin.value;
    pin.value = '';
    void (async () => {
      try {
        await (await workspace()).unlock(value);
      } catch (err) {
        error.fail(err);
        if (live) onVault(live.vaultStatus());
        pin.focus();
      } finally {
        submitting = false;
        if (retry.hidden) unlock.disabled = false;
      }
    })();
  });

  reForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    reSubmit.disabled = true;
    error.show('');
    void (async () => {
      try {
        const ws = await workspace();
        await ws.reauthenticate(reUser.value.trim(), rePass.value);
        rePass.value = '';
        onVault(ws.vaultStatus());
        pin.focus();
      } catch (err) {
        error.fail(err);
      } finally {
        reSubmit.disabled = false;
      }
    })();
  });

  if (live) onVault(live.vaultStatus());
  setTimeout(() => pin.focus(), 0);
  return {
    el,
    setSession,
    onStatus(s: SyncStatusView) {
      pending.dataset['pending'] = String(s.pending);
      pending.textContent =
        s.pending === null
          ? (s.storage_problem ?? 'This device cannot read its storage.')
          : s.pending === 0
            ? 'Everything is synced.'
            : `${s.pending} order${s.pending === 1 ? '' : 's'} waiting to sync; they upload even while locked.`;
    },
    onVault,
  };
}
