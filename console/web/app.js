// The console's shell: sign-in, navigation, the org switcher and the hash router. Every view
// gets a context `ctx` = {org, orgs, clusterAdmin, go(hash), view}.
import {call, clearToken, setToken, token} from './api.js';
import {describeError, h, replace} from './dom.js';
import {renderHistory} from './history.js';
import {renderPreferences} from './preferences.js';
import {renderDetail, renderForm, renderList} from './webhooks.js';

const $ = (id) => document.getElementById(id);

const ctx = {
  org: '',  // The org switcher's choice: '' is every org the token may see.
  orgs: [],
  clusterAdmin: false,
  view: null,
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

// Learns what this token may do from the API itself: the cluster preferences answer only a
// cluster administrator, and the empty preferences search lists the orgs the caller may act on.
async function discover() {
  try {
    await call('webhooks/search', {record_size: 1});
  } catch (e) {
    if (e.status !== 403) throw e;  // A valid token without webhook privileges may still look.
  }
  ctx.clusterAdmin = false;
  ctx.orgs = [];
  try {
    await call('system/preferences/communication-channels/search',
        {cluster_preferences: ['LIVEBOARD_SCHEDULE']});
    const all = await call('system/preferences/communication-channels/search', {});
    ctx.orgs = (all.org_preferences || []).map((entry) => entry.org);
    ctx.clusterAdmin = true;
  } catch (e) {
    if (e.status === 401) throw e;
  }
}

function showSignedIn(signedIn) {
  $('sign-in').hidden = signedIn;
  $('nav').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('nav-preferences').hidden = !(signedIn && ctx.clusterAdmin);
  $('org-switcher').hidden = !(signedIn && ctx.clusterAdmin && ctx.orgs.length > 0);
  if (!signedIn) replace($('view'));
}

function fillOrgSwitcher() {
  const select = $('org-select');
  replace(select, h('option', {value: ''}, 'All orgs'),
      ctx.orgs.map((org) => h('option', {value: org.id}, `${org.name} (${org.id})`)));
  select.value = ctx.org;
}

async function signIn(value) {
  setToken(value);
  try {
    await discover();
  } catch (e) {
    clearToken();
    throw e;
  }
  fillOrgSwitcher();
  showSignedIn(true);
  if (!location.hash || location.hash === '#') location.hash = '#/webhooks';
  else route();
}

function highlightNav(section) {
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#/${section}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

let routeSerial = 0;

async function route() {
  if (!token()) return;
  const serial = ++routeSerial;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = h('div', {class: 'page'});
  replace($('view'), view);
  ctx.view = view;
  highlightNav(parts[0] || 'webhooks');
  try {
    if (parts[0] === 'history') await renderHistory(view, ctx, parts[1] || '');
    else if (parts[0] === 'preferences' && ctx.clusterAdmin) await renderPreferences(view, ctx);
    else if (parts[0] === 'webhooks' && parts[1] === 'new') await renderForm(view, ctx, null);
    else if (parts[0] === 'webhooks' && parts[1] && parts[2] === 'edit') {
      await renderForm(view, ctx, parts[1]);
    } else if (parts[0] === 'webhooks' && parts[1]) await renderDetail(view, ctx, parts[1]);
    else await renderList(view, ctx);
  } catch (e) {
    if (serial !== routeSerial) return;
    if (e.status === 401) {
      signOut(describeError(e));
      return;
    }
    view.append(h('p', {class: 'error', role: 'alert'}, describeError(e)));
  }
  if (serial !== routeSerial) return;
  const heading = view.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  }
}

function signOut(message) {
  clearToken();
  ctx.org = '';
  showSignedIn(false);
  $('sign-in-error').textContent = message || '';
  $('token').value = '';
  $('token').focus();
}

function start() {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = $('token').value.trim();
    $('sign-in-error').textContent = '';
    if (!value) {
      $('sign-in-error').textContent = 'Enter a bearer token.';
      return;
    }
    $('sign-in-button').disabled = true;
    try {
      await signIn(value);
      $('token').value = '';
    } catch (e) {
      $('sign-in-error').textContent = describeError(e);
    } finally {
      $('sign-in-button').disabled = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('org-select').addEventListener('change', (event) => {
    ctx.org = event.target.value;
    route();
  });
  window.addEventListener('hashchange', route);
  if (token()) {
    signIn(token()).catch((e) => signOut(describeError(e)));
  } else {
    showSignedIn(false);
    $('token').focus();
  }
}

start();
