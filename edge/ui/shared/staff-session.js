// A staff member's sign-in on a staff page (dashboard, exit check): staff id and PIN,
// the session token kept for this tab only.
import { call } from './api.js';

const KEY = 'storeedge.staffToken';

export const staffToken = () => sessionStorage.getItem(KEY);
export const staffHeaders = () => ({ 'x-staff-token': staffToken() ?? '' });

/** Signs in from `form` (inputs #staffId and #pin, error #signin-error), then calls `onSignedIn`. */
export function bindStaffSignIn(form, onSignedIn) {
  const $ = (id) => document.getElementById(id);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const s = await call('POST', '/staff/sessions', {
        body: { staffId: $('staffId').value, pin: $('pin').value },
      });
      sessionStorage.setItem(KEY, s.token);
      $('signin-error').classList.add('hidden');
      $('pin').value = '';
      onSignedIn();
    } catch {
      $('signin-error').classList.remove('hidden');
    }
  });
}

export function forgetStaffSession() {
  sessionStorage.removeItem(KEY);
}
