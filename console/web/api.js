// Calls to webhookd's REST API (ThoughtSpot's paths) with the signed-in bearer token. The token
// lives in this tab's session storage only: never in a URL, never in a cookie.

const TOKEN_KEY = 'webhookd.console.token';
const BASE = '/api/rest/2.0/';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// ThoughtSpot's error body is {"error":{"message":{"code":..,"debug":".."}}}; some servers nest
// it one level deeper (error.message.debug.{code,debug}). The message is shown as written.
function errorFrom(status, json, text) {
  const message = json && json.error ? json.error.message : undefined;
  let code;
  let detail;
  if (message && typeof message === 'object') {
    if (message.debug && typeof message.debug === 'object') {
      code = message.debug.code;
      detail = message.debug.debug;
    } else {
      code = message.code;
      detail = message.debug;
    }
  } else if (typeof message === 'string') {
    detail = message;
  }
  if (typeof detail !== 'string' || detail === '') detail = text || `HTTP ${status}`;
  return new ApiError(status, code, detail);
}

// POSTs `body` as JSON to BASE + `path`; resolves to the parsed answer (null for 204), or
// rejects with an ApiError carrying the API's status, code and message.
export async function call(path, body) {
  let response;
  try {
    response = await fetch(BASE + path, {
      method: 'POST',
      headers: {
        'Accept': 'application/json',
        'Content-Type': 'application/json',
        'Authorization': `Bearer ${token()}`,
      },
      body: JSON.stringify(body || {}),
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (e) {
    throw new ApiError(0, null, `The server did not answer: ${e.message}`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) throw errorFrom(response.status, json, text);
  return json;
}

export const EVENT = 'LIVEBOARD_SCHEDULE';
export const STATUSES = ['SUCCESS', 'FAILED', 'RETRY', 'PENDING'];

export function searchWebhooks(filter) {
  return call('webhooks/search', {record_size: 1000, ...filter});
}

export async function getWebhook(identifier) {
  const answer = await call('webhooks/search', {webhook_identifier: identifier});
  const webhook = answer.webhooks && answer.webhooks[0];
  if (!webhook) throw new ApiError(404, null, `No webhook "${identifier}".`);
  return webhook;
}

export function validate(identifier) {
  return call('system/communication-channels/validate',
      {channel_type: 'WEBHOOK', channel_identifier: identifier, event_type: EVENT});
}

// Jobs of one webhook; `filter` may hold channel_status, start/end_epoch_time_in_millis.
export function searchHistory(identifier, filter) {
  return call('jobs/history/communication-channels/search', {
    channel_type: 'WEBHOOK',
    channel_identifiers: [identifier],
    events: [{type: EVENT}],
    ...filter,
  });
}
