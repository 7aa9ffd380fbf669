// Communication-channel preferences (cluster administrators): the cluster's channels for
// Liveboard schedules and each org's override, as the preferences endpoints hold them.
import {call, EVENT} from './api.js';
import {errorBox, h, replace} from './dom.js';

const CHANNELS = ['EMAIL', 'WEBHOOK'];
const SEARCH = 'system/preferences/communication-channels/search';
const CONFIGURE = 'system/preferences/communication-channels/configure';

function channelsOf(preferences) {
  const entry = (preferences || []).find((p) => p.event_type === EVENT);
  return entry ? entry.channels || [] : null;
}

// A fieldset of channel checkboxes; returns {element, selected()}.
function channelPicker(legend, prefix, channels) {
  const boxes = CHANNELS.map((channel) => h('input', {type: 'checkbox', id: `${prefix}-${channel}`,
    value: channel, checked: (channels || []).includes(channel)}));
  return {
    element: h('fieldset', {class: 'channels'}, h('legend', {}, legend),
        boxes.map((box) => h('label', {class: 'check', for: box.id}, box, ` ${box.value}`))),
    selected: () => boxes.filter((box) => box.checked).map((box) => box.value),
  };
}

function saveButton(label, id, status, action) {
  const button = h('button', {type: 'button', id}, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(status);
    try {
      await action();
      replace(status, h('span', {class: 'ok'}, 'Saved.'));
    } catch (e) {
      replace(status, errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export async function renderPreferences(view, ctx) {
  view.append(h('h1', {}, 'Channel preferences'),
      h('p', {}, `Which channels carry ${EVENT} events. An org's own setting overrides the ` +
          'cluster\'s; an org without one uses the cluster\'s.'));
  const answer = await call(SEARCH, {});
  const cluster = channelPicker(`Cluster: ${EVENT}`, 'cluster', channelsOf(answer.cluster_preferences));
  const clusterStatus = h('div', {role: 'status', id: 'cluster-status'});
  view.append(h('section', {class: 'card', id: 'cluster-preferences'}, h('h2', {}, 'Cluster'),
      cluster.element,
      h('div', {class: 'actions'}, saveButton('Save cluster channels', 'save-cluster', clusterStatus,
          () => call(CONFIGURE, {cluster_preferences: [{event_type: EVENT,
            channels: cluster.selected()}]}))),
      clusterStatus));

  const orgs = (answer.org_preferences || []).filter((entry) => !ctx.org || entry.org.id === ctx.org);
  for (const entry of orgs) {
    const own = channelsOf(entry.preferences);
    const prefix = `org-${entry.org.id}`;
    const picker = channelPicker(`${entry.org.name}: ${EVENT}`, prefix, own);
    const status = h('div', {role: 'status'});
    const reset = saveButton('Use the cluster setting', `${prefix}-reset`, status, async () => {
      await call(CONFIGURE, {org_preferences: [{org_identifier: entry.org.id, operation: 'RESET',
        reset_events: [EVENT]}]});
      ctx.go('#/preferences');
    });
    view.append(h('section', {class: 'card', 'data-org-id': entry.org.id},
        h('h2', {}, `Org ${entry.org.name} (${entry.org.id})`),
        h('p', {}, own === null ? 'Uses the cluster setting.' :
                                  `Own setting: ${own.length ? own.join(', ') : 'no channels'}.`),
        picker.element,
        h('div', {class: 'actions'},
            saveButton('Save org channels', `${prefix}-save`, status, () => call(CONFIGURE,
                {org_preferences: [{org_identifier: entry.org.id, operation: 'REPLACE',
                  preferences: [{event_type: EVENT, channels: picker.selected()}]}]})),
            own === null ? null : reset),
        status));
  }
}
