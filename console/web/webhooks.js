// The org's webhooks: list, detail (with Validate), create, edit and delete.
import {ApiError, call, EVENT, getWebhook, searchWebhooks, validate} from './api.js';
import {count, errorBox, formatTime, h, replace} from './dom.js';

const SECRET = '***';
const AUTH_TYPES = ['BEARER_TOKEN', 'API_KEY', 'BASIC_AUTH', 'OAUTH2'];
const AUTH_LABELS = {
  '': 'None',
  'BEARER_TOKEN': 'Bearer token',
  'API_KEY': 'API key',
  'BASIC_AUTH': 'Basic authentication',
  'OAUTH2': 'OAuth 2.0 client credentials',
};

function authType(webhook) {
  const auth = webhook && webhook.authentication;
  if (!auth) return '';
  return AUTH_TYPES.find((type) => auth[type] !== null && auth[type] !== undefined) || '';
}

function orgFilter(ctx) {
  return ctx.org ? {org_identifier: ctx.org} : {};
}

export async function renderList(view, ctx) {
  view.append(h('div', {class: 'title-row'}, h('h1', {}, 'Webhooks'),
      h('a', {class: 'button', href: '#/webhooks/new', id: 'new-webhook'}, 'New webhook')));
  const answer = await searchWebhooks(orgFilter(ctx));
  const webhooks = answer.webhooks || [];
  if (webhooks.length === 0) {
    view.append(h('p', {id: 'no-webhooks'}, 'No webhooks yet. Each org may have one ',
        h('code', {}, EVENT), ' webhook.'));
    return;
  }
  const rows = webhooks.map((webhook) => h('tr', {'data-webhook-id': webhook.id},
      h('th', {scope: 'row'},
          h('a', {href: `#/webhooks/${encodeURIComponent(webhook.id)}`}, webhook.name)),
      h('td', {}, webhook.org ? webhook.org.name : '-'),
      h('td', {class: 'url'}, webhook.url),
      h('td', {}, webhook.status || '-'),
      h('td', {}, (webhook.events || []).join(', ')),
      h('td', {}, formatTime(webhook.modification_time_in_millis))));
  view.append(h('div', {class: 'table-wrap'}, h('table', {id: 'webhook-list'},
      h('caption', {},
          count(answer.pagination ? answer.pagination.total_count : rows.length, 'webhook')),
      h('thead', {}, h('tr', {}, ['Name', 'Org', 'URL', 'Status', 'Events', 'Modified'].map(
          (name) => h('th', {scope: 'col'}, name)))),
      h('tbody', {}, rows))));
}

function field(term, value) {
  return [h('dt', {}, term), h('dd', {}, value === null || value === undefined ? '-' : value)];
}

function authSummary(webhook) {
  const type = authType(webhook);
  if (!type) return 'None';
  const value = webhook.authentication[type];
  if (type === 'BEARER_TOKEN') return `Bearer token ${value}`;
  if (type === 'API_KEY') return `API key in header ${value.key}: ${value.value}`;
  if (type === 'BASIC_AUTH') return `Basic, user ${value.username}, password ${value.password}`;
  return `OAuth 2.0 at ${value.authorization_url}, client ${value.client_id}, ` +
      `secret ${value.client_secret}`;
}

function keyValues(object) {
  if (!object) return '-';
  const list = Array.isArray(object) ? object.map((kv) => [kv.key, kv.value]) :
                                       Object.entries(object);
  return list.length ? h('ul', {class: 'plain'}, list.map(([k, v]) => h('li', {}, `${k}: ${v}`))) :
                       '-';
}

export async function renderDetail(view, ctx, identifier) {
  const webhook = await getWebhook(identifier);
  const id = encodeURIComponent(webhook.id);
  const signature = webhook.signature_verification;
  const storage = webhook.storage_destination;
  const result = h('section', {id: 'validate-result', 'aria-live': 'polite'});
  const validateButton = h('button', {type: 'button', id: 'validate'}, 'Validate');
  validateButton.addEventListener('click', async () => {
    validateButton.disabled = true;
    replace(result, h('p', {}, 'Sending a test event…'));
    try {
      replace(result, validationReport(await validate(webhook.id)));
    } catch (e) {
      replace(result, errorBox(e));
    } finally {
      validateButton.disabled = false;
    }
  });
  view.append(
      h('p', {class: 'crumbs'}, h('a', {href: '#/webhooks'}, 'Webhooks'), ' / ', webhook.name),
      h('h1', {id: 'webhook-name'}, webhook.name),
      h('div', {class: 'actions'}, validateButton,
          h('a', {class: 'button secondary', href: `#/webhooks/${id}/edit`, id: 'edit'}, 'Edit'),
          h('a', {class: 'button secondary', href: `#/history/${id}`, id: 'open-history'},
              'Delivery history'),
          deleteButton(ctx, webhook)),
      result,
      h('dl', {class: 'details'},
          field('Id', webhook.id),
          field('Description', webhook.description),
          field('Org', webhook.org ? `${webhook.org.name} (${webhook.org.id})` : null),
          field('URL', webhook.url),
          field('URL parameters', keyValues(webhook.url_params)),
          field('Events', (webhook.events || []).join(', ')),
          field('Status', webhook.status),
          field('Authentication', authSummary(webhook)),
          field('Signature', signature ?
                    `${signature.type} (${signature.algorithm}) in header ${signature.header}, ` +
                        `secret ${signature.secret}` :
                    'None'),
          field('Additional headers', keyValues(webhook.additional_headers)),
          field('Storage', storage ? storage.storage_type : 'None (files are in the POST)'),
          field('Created', `${formatTime(webhook.creation_time_in_millis)} by ${
              webhook.created_by ? webhook.created_by.name : '-'}`),
          field('Modified', `${formatTime(webhook.modification_time_in_millis)}${
              webhook.last_modified_by ? ` by ${webhook.last_modified_by.name}` : ''}`)));
}

function validationReport(answer) {
  const storageInfo = (detail) => {
    const info = detail.aws_s3_info || detail.gcp_gcs_info;
    return info ? `${info.bucket_name || ''} ${info.object_key || info.file_name || ''}` : '';
  };
  return h('div', {class: `validation result-${answer.result_code}`},
      h('h2', {}, 'Validation: ',
          h('span', {id: 'validate-result-code', 'data-result-code': answer.result_code},
              answer.result_code)),
      h('p', {}, 'Job ', h('code', {}, answer.job_id)),
      h('div', {class: 'table-wrap'}, h('table', {id: 'validate-steps'},
          h('caption', {}, 'Validation steps'),
          h('thead', {}, h('tr', {}, ['Step', 'Status', 'HTTP status', 'Error', 'Storage'].map(
              (name) => h('th', {scope: 'col'}, name)))),
          h('tbody', {}, (answer.details || []).map((detail) => h('tr',
              {'data-step': detail.validation_step, 'data-status': detail.status},
              h('th', {scope: 'row'}, detail.validation_step),
              h('td', {class: `status status-${detail.status}`}, detail.status),
              h('td', {}, detail.http_status === null ? '-' : String(detail.http_status)),
              h('td', {class: 'message'}, detail.error_message || ''),
              h('td', {}, storageInfo(detail))))))));
}

// A delete button that asks once more in place (no modal dialog).
function deleteButton(ctx, webhook) {
  const button = h('button', {type: 'button', class: 'danger', id: 'delete'}, 'Delete');
  const status = h('span', {role: 'status'});
  let armed = false;
  button.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      button.textContent = `Really delete ${webhook.name}?`;
      return;
    }
    button.disabled = true;
    try {
      const answer = await call('webhooks/delete', {webhook_identifiers: [webhook.id]});
      const failed = answer.failed_webhooks || [];
      if (failed.length) throw new ApiError(200, null, failed.map((f) => f.error).join('; '));
      ctx.go('#/webhooks');
    } catch (e) {
      replace(status, errorBox(e));
      button.disabled = false;
    }
  });
  return h('span', {}, button, status);
}

let fieldSerial = 0;

// A labelled input; returns {row, input}.
function input(label, attrs, hint) {
  const id = attrs.id || `f${++fieldSerial}`;
  const hintId = hint ? `${id}-hint` : null;
  const control = attrs.rows ? h('textarea', {...attrs, id, 'aria-describedby': hintId}) :
                               h('input', {type: 'text', ...attrs, id, 'aria-describedby': hintId});
  return {
    row: h('div', {class: 'field'}, h('label', {for: id}, label), control,
        hint ? h('p', {class: 'hint', id: hintId}, hint) : null),
    input: control,
  };
}

function secretInput(label, id, current) {
  return input(label, {id, type: 'password', autocomplete: 'new-password', value: current || ''},
      current === SECRET ? `${SECRET} keeps the stored secret; type a new one to replace it.` :
                           null);
}

function parseLines(text, separator, what) {
  const pairs = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf(separator);
    if (at <= 0) throw new Error(`${what}: "${line}" is not key${separator}value.`);
    pairs.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]);
  }
  return pairs;
}

export async function renderForm(view, ctx, identifier) {
  const webhook = identifier ? await getWebhook(identifier) : null;
  const auth = (webhook && webhook.authentication) || {};
  const currentType = authType(webhook);
  const signature = webhook && webhook.signature_verification;
  const title = webhook ? `Edit ${webhook.name}` : 'New webhook';

  const name = input('Name', {id: 'name', required: true, maxlength: 256,
    value: webhook ? webhook.name : ''});
  const description = input('Description', {id: 'description', rows: 2, maxlength: 2048,
    value: webhook && webhook.description ? webhook.description : ''});
  const url = input('URL', {id: 'url', type: 'url', required: true, inputmode: 'url',
    value: webhook ? webhook.url : ''}, 'Deliveries are POSTed here.');
  const params = input('URL parameters', {id: 'url-params', rows: 2,
    value: Object.entries((webhook && webhook.url_params) || {}).map(([k, v]) => `${k}=${v}`)
        .join('\n')}, 'One key=value per line; appended to the URL.');
  const headers = input('Additional headers', {id: 'headers', rows: 2,
    value: ((webhook && webhook.additional_headers) || []).map((kv) => `${kv.key}: ${kv.value}`)
        .join('\n')}, 'One Name: value per line.');
  const status = h('select', {id: 'status'},
      [['', 'Not set (enabled)'], ['ENABLED', 'Enabled'], ['DISABLED', 'Disabled']].map(
          ([value, label]) => h('option', {value, selected: webhook && webhook.status === value ||
            (!webhook || !webhook.status) && value === ''}, label)));

  const authSelect = h('select', {id: 'auth-type'}, Object.entries(AUTH_LABELS).map(
      ([value, label]) => h('option', {value, selected: value === currentType}, label)));
  const bearer = secretInput('Token', 'auth-bearer', auth.BEARER_TOKEN);
  const apiKeyName = input('Header name', {id: 'auth-api-key-name',
    value: auth.API_KEY ? auth.API_KEY.key : ''});
  const apiKeyValue = secretInput('Key', 'auth-api-key-value', auth.API_KEY && auth.API_KEY.value);
  const basicUser = input('User name', {id: 'auth-basic-user', autocomplete: 'off',
    value: auth.BASIC_AUTH ? auth.BASIC_AUTH.username : ''});
  const basicPassword = secretInput('Password', 'auth-basic-password',
      auth.BASIC_AUTH && auth.BASIC_AUTH.password);
  const oauthUrl = input('Token URL', {id: 'auth-oauth-url', type: 'url',
    value: auth.OAUTH2 ? auth.OAUTH2.authorization_url : ''});
  const oauthClient = input('Client id', {id: 'auth-oauth-client',
    value: auth.OAUTH2 ? auth.OAUTH2.client_id : ''});
  const oauthSecret = secretInput('Client secret', 'auth-oauth-secret',
      auth.OAUTH2 && auth.OAUTH2.client_secret);
  const authGroups = {
    BEARER_TOKEN: h('div', {class: 'group'}, bearer.row),
    API_KEY: h('div', {class: 'group'}, apiKeyName.row, apiKeyValue.row),
    BASIC_AUTH: h('div', {class: 'group'}, basicUser.row, basicPassword.row),
    OAUTH2: h('div', {class: 'group'}, oauthUrl.row, oauthClient.row, oauthSecret.row),
  };
  const showAuth = () => {
    for (const [type, group] of Object.entries(authGroups)) group.hidden = type !== authSelect.value;
  };
  authSelect.addEventListener('change', showAuth);
  showAuth();

  const sign = h('input', {type: 'checkbox', id: 'sign', checked: Boolean(signature)});
  const signHeader = input('Signature header', {id: 'sign-header',
    value: signature ? signature.header : 'X-Webhook-Signature'});
  const signSecret = secretInput('Signing secret', 'sign-secret', signature && signature.secret);
  const signGroup = h('div', {class: 'group'}, signHeader.row, signSecret.row);
  const showSign = () => {
    signGroup.hidden = !sign.checked;
  };
  sign.addEventListener('change', showSign);
  showSign();

  const errors = h('div', {id: 'form-error'});
  const submit = h('button', {type: 'submit', id: 'save'}, webhook ? 'Save' : 'Create');
  const form = h('form', {id: 'webhook-form', novalidate: true},
      name.row, description.row, url.row,
      h('div', {class: 'field'}, h('label', {for: 'status'}, 'Status'), status),
      h('fieldset', {}, h('legend', {}, 'Events'),
          h('label', {class: 'check'}, h('input', {type: 'checkbox', checked: true, disabled: true,
            id: 'event-liveboard'}), ` ${EVENT}`)),
      h('fieldset', {}, h('legend', {}, 'Authentication'),
          h('div', {class: 'field'}, h('label', {for: 'auth-type'}, 'Type'), authSelect),
          Object.values(authGroups)),
      h('fieldset', {}, h('legend', {}, 'Signature'),
          h('label', {class: 'check', for: 'sign'}, sign, ' Sign deliveries with HMAC-SHA256'),
          signGroup),
      params.row, headers.row, errors,
      h('div', {class: 'actions'}, submit,
          h('a', {class: 'button secondary',
            href: webhook ? `#/webhooks/${encodeURIComponent(webhook.id)}` : '#/webhooks'},
          'Cancel')));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(errors);
    let body;
    try {
      body = {
        name: name.input.value.trim(),
        url: url.input.value.trim(),
        events: [EVENT],
      };
      const text = description.input.value.trim();
      if (text || webhook) body.description = text;
      if (status.value) body.status = status.value;
      const urlParams = Object.fromEntries(parseLines(params.input.value, '=', 'URL parameters'));
      if (webhook || Object.keys(urlParams).length) body.url_params = urlParams;
      const extra = parseLines(headers.input.value, ':', 'Additional headers')
          .map(([key, value]) => ({key, value}));
      if (webhook || extra.length) body.additional_headers = extra;
      const reset = [];
      const type = authSelect.value;
      if (type === 'BEARER_TOKEN') body.authentication = {BEARER_TOKEN: bearer.input.value};
      if (type === 'API_KEY') {
        body.authentication = {API_KEY: {key: apiKeyName.input.value.trim(),
          value: apiKeyValue.input.value}};
      }
      if (type === 'BASIC_AUTH') {
        body.authentication = {BASIC_AUTH: {username: basicUser.input.value,
          password: basicPassword.input.value}};
      }
      if (type === 'OAUTH2') {
        body.authentication = {OAUTH2: {authorization_url: oauthUrl.input.value.trim(),
          client_id: oauthClient.input.value.trim(), client_secret: oauthSecret.input.value}};
      }
      if (!type && currentType) reset.push('AUTHENTICATION');
      if (sign.checked) {
        body.signature_verification = {type: 'HMAC_SHA256', algorithm: 'SHA256',
          header: signHeader.input.value.trim(), secret: signSecret.input.value};
      } else if (signature) {
        reset.push('SIGNATURE_VERIFICATION');
      }
      if (reset.length) body.reset_options = reset;
    } catch (e) {
      replace(errors, errorBox(e));
      return;
    }
    submit.disabled = true;
    try {
      if (webhook) {
        await call(`webhooks/${encodeURIComponent(webhook.id)}/update`, body);
        ctx.go(`#/webhooks/${encodeURIComponent(webhook.id)}`);
      } else {
        const created = await call('webhooks/create', body);
        ctx.go(`#/webhooks/${encodeURIComponent(created.id)}`);
      }
    } catch (e) {
      replace(errors, errorBox(e));
      submit.disabled = false;
    }
  });

  view.append(
      h('p', {class: 'crumbs'}, h('a', {href: '#/webhooks'}, 'Webhooks'), ' / ', title),
      h('h1', {}, title),
      webhook ? null : h('p', {}, 'The webhook is created in the org of your token.'),
      form);
}
