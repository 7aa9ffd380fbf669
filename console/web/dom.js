// A tiny DOM builder: text always goes in as text nodes, never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.setAttribute('class', value);
    } else if (name === 'value' && 'value' in element && !(element instanceof SVGElement)) {
      element.value = value;
    } else if (name === 'checked' || name === 'selected') {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// h('p', {class: 'x'}, 'text', h('b', {}, 'bold')): an HTML element.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same for SVG elements.
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

// Replaces the children of `parent`.
export function replace(parent, ...children) {
  parent.replaceChildren();
  build(parent, {}, children);
}

export function formatTime(millis) {
  if (millis === null || millis === undefined || millis === 0) return '-';
  return new Date(millis).toLocaleString();
}

// An element that shows an API error as the API wrote it.
export function errorBox(error) {
  return h('p', {class: 'error', role: 'alert'}, describeError(error));
}

export function describeError(error) {
  if (error && error.status !== undefined) {
    const code = error.code !== undefined && error.code !== null ? `, code ${error.code}` : '';
    return `HTTP ${error.status}${code}: ${error.message}`;
  }
  return String(error && error.message ? error.message : error);
}

// "1 webhook", "2 webhooks".
export function count(n, noun, plural = `${noun}s`) {
  return `${n} ${n === 1 ? noun : plural}`;
}
