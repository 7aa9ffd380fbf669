"""The web console in a real browser: webhookd (in memory, loopback deliveries allowed), a local
receiver that answers 200, and headless Chromium driven through the DevTools protocol.

Signs in with the admin token, creates a webhook that points at the receiver, opens it, clicks
Validate and sees SUCCESS, then opens the delivery history and sees that delivery in the chart.
Also checks the console's narrow layout and that the page logged no error (a CSP violation
included). Screenshots go to $TEST_UNDECLARED_OUTPUTS_DIR.

Usage: console_browser_test.py PATH_TO_WEBHOOKD
Needs Debian's chromium and python3-websocket (tools/setup.sh installs both); fails without them.
"""

import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 15000  # The longest any page condition is waited for.


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers every POST with 200 and counts them."""

    posts = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            Receiver.posts += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def read_until(stream, pattern, what, lines):
    """Reads lines of `stream` until one matches `pattern`; returns the match."""
    for raw in stream:
        line = raw.decode(errors="replace").rstrip("\n")
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"{what} ended before printing {pattern!r}:\n" + "\n".join(lines))


def drain(stream, lines):
    threading.Thread(target=lambda: [lines.append(l.decode(errors="replace")) for l in stream],
                     daemon=True).start()


class DevTools:
    """A minimal DevTools protocol client over one page's websocket."""

    def __init__(self, url):
        import websocket  # Debian's python3-websocket.

        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.problems = []  # Exceptions, console errors and log errors (CSP included).

    def send(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.note(message)

    def note(self, message):
        method = message.get("method", "")
        params = message.get("params", {})
        self.events.append(method)
        if method == "Runtime.exceptionThrown":
            self.problems.append(json.dumps(params["exceptionDetails"])[:2000])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.problems.append(json.dumps(params.get("args"))[:2000])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            # The API's error answers are expected (the page shows them); a console file or
            # anything else that fails to load is not.
            if entry.get("source") == "network" and "/api/rest/2.0/" in entry.get("url", ""):
                return
            self.problems.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")

    def wait_event(self, name):
        while name not in self.events:
            self.note(json.loads(self.socket.recv()))
        self.events.remove(name)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"page: {result['exceptionDetails']}\nin: {expression}")
        return result["result"].get("value")

    def wait_for(self, selector, text=None):
        """Waits (a MutationObserver, at most WAIT_MS) for an element matching `selector`
        (whose textContent equals `text`, if given); returns its textContent."""
        script = """
          new Promise((resolve, reject) => {
            const selector = %s, text = %s;
            const find = () => [...document.querySelectorAll(selector)].find(
                (e) => text === null || e.textContent.trim() === text);
            const done = () => { const e = find(); if (!e) return false;
              observer.disconnect(); clearTimeout(timer); resolve(e.textContent.trim()); return true; };
            const observer = new MutationObserver(done);
            const timer = setTimeout(() => { observer.disconnect();
              reject(new Error('timed out waiting for ' + selector + ' ' + (text || '') +
                  '; page text: ' + document.body.innerText.slice(0, 1500))); }, %d);
            if (!done()) observer.observe(document, {subtree: true, childList: true,
                characterData: true, attributes: true});
          })""" % (json.dumps(selector), json.dumps(text), WAIT_MS)
        return self.evaluate(script)

    def click(self, selector):
        """Waits for the element, then clicks its middle as a mouse would."""
        self.wait_for(selector)
        box = self.evaluate("""(() => { const e = document.querySelector(%s);
            e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; })()""" % json.dumps(selector))
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def type(self, selector, text):
        self.wait_for(selector)
        self.evaluate("document.querySelector(%s).focus()" % json.dumps(selector))
        self.send("Input.insertText", text=text)

    def screenshot(self, name):
        directory = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
        if not directory:
            return
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(os.path.join(directory, name), "wb") as out:
            out.write(base64.b64decode(data))


class Checks:
    """Named checks, reported as JUnit cases in $XML_OUTPUT_FILE."""

    def __init__(self):
        self.cases = []

    def run(self, name, body):
        try:
            body()
            self.cases.append((name, None))
            print(f"PASS: {name}")
        except Exception as e:  # A failed check stops the rest: later ones build on it.
            self.cases.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL: {name}\n{traceback.format_exc()}", file=sys.stderr)
            raise

    def write(self):
        path = os.environ.get("XML_OUTPUT_FILE")
        if not path:
            return
        from xml.sax.saxutils import quoteattr

        failures = sum(1 for _, error in self.cases if error)
        body = "".join(f"<testcase name={quoteattr(n)}>" +
                       (f"<failure message={quoteattr(e[:1000])}/>" if e else "") + "</testcase>"
                       for n, e in self.cases)
        with open(path, "w") as out:
            out.write(f'<?xml version="1.0"?><testsuites tests="{len(self.cases)}" '
                      f'failures="{failures}"><testsuite name="console_browser_test" '
                      f'tests="{len(self.cases)}" failures="{failures}">{body}</testsuite>'
                      "</testsuites>\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: console_browser_test.py PATH_TO_WEBHOOKD")
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"FAIL: {CHROMIUM} is missing: install Debian's chromium (bash tools/setup.sh)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        sys.exit("FAIL: Python's websocket module is missing: install Debian's python3-websocket "
                 "(bash tools/setup.sh) and run this with /usr/bin/python3")
    webhookd_path = sys.argv[1]
    tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    admin_token = secrets.token_urlsafe(24)
    children = []
    checks = Checks()
    try:
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"

        webhookd = subprocess.Popen(
            [webhookd_path, "--grpc_listen=127.0.0.1:0", "--http_listen=127.0.0.1:0",
             "--in_memory", "--allow_private_endpoints"],
            env={**os.environ, "WEBHOOKD_ADMIN_TOKEN": admin_token}, stderr=subprocess.PIPE)
        children.append(webhookd)
        webhookd_log = []
        port = read_until(webhookd.stderr, r"HTTP listening on port (\d+)", "webhookd",
                          webhookd_log).group(1)
        read_until(webhookd.stderr, r"webhookd: ready", "webhookd", webhookd_log)
        drain(webhookd.stderr, webhookd_log)
        console_url = f"http://127.0.0.1:{port}/console"

        profile = os.path.join(tmp, "chromium-profile")
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--disable-crash-reporter",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
            env={**os.environ, "HOME": tmp}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        children.append(browser)
        browser_log = []
        devtools_port = read_until(browser.stderr, r"DevTools listening on ws://[^:]+:(\d+)/",
                                   "chromium", browser_log).group(1)
        drain(browser.stderr, browser_log)
        with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list",
                                    timeout=30) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        page = DevTools(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")

        created = {}

        def open_console():
            page.send("Page.navigate", url=console_url)
            page.wait_event("Page.loadEventFired")
            assert page.wait_for("#sign-in-title") == "Sign in"
            # Visible once app.js has run (hidden in the HTML); the token field has the focus.
            assert page.wait_for("#sign-in:not([hidden]) label[for=token]") == "Bearer token"
            assert page.evaluate("document.activeElement.id") == "token"

        def sign_in():
            page.type("#token", "wrong-token")
            page.click("#sign-in-button")
            error = page.wait_for("#sign-in-error:not(:empty)")
            assert error == "HTTP 401, code 10097: Authentication required: unknown bearer token.", error
            page.evaluate("document.querySelector('#token').value = ''")
            page.type("#token", admin_token)
            page.click("#sign-in-button")
            assert page.wait_for("h1", "Webhooks") == "Webhooks"
            assert page.wait_for("#no-webhooks").startswith("No webhooks yet.")
            # The token is in session storage only: not in the URL, no cookie.
            state = page.evaluate("[location.href, document.cookie]")
            assert state == [console_url + "#/webhooks", ""], state
            # The default admin is a cluster administrator: preferences and the org switcher.
            assert page.evaluate("document.querySelector('#nav-preferences').hidden") is False
            assert page.evaluate("[...document.querySelectorAll('#org-select option')]"
                                 ".map((o) => o.textContent)") == ["All orgs", "Primary (0)"]

        def create_webhook():
            page.click("#new-webhook")
            page.wait_for("h1", "New webhook")
            page.type("#name", "console-hook")
            page.type("#url", receiver_url)
            page.evaluate("document.querySelector('#auth-type').value = 'BEARER_TOKEN';"
                          "document.querySelector('#auth-type').dispatchEvent(new Event('change'))")
            page.type("#auth-bearer", "receiver-secret")
            page.click("#save")
            assert page.wait_for("#webhook-name") == "console-hook"
            details = page.evaluate("document.querySelector('.details').innerText")
            assert "Bearer token ***" in details, details
            assert "receiver-secret" not in details, details
            page.click("a[href='#/webhooks']")
            page.wait_for("#webhook-list tbody tr th a", "console-hook")
            row = page.evaluate("[...document.querySelectorAll('#webhook-list tbody td')]"
                                ".map((c) => c.textContent).slice(0, 4)")
            assert row == ["Primary", receiver_url, "-", "LIVEBOARD_SCHEDULE"], row
            created["id"] = page.evaluate(
                "document.querySelector('#webhook-list tbody tr').dataset.webhookId")
            page.screenshot("console-webhooks.png")

        def second_webhook_error():
            # The API's own message, verbatim.
            page.click("#new-webhook")
            page.wait_for("h1", "New webhook")
            page.type("#name", "another-hook")
            page.type("#url", receiver_url)
            page.click("#save")
            error = page.wait_for("#form-error .error")
            webhook_id = created["id"]
            assert error == ("HTTP 400, code 10002: org 'Primary' already has a LIVEBOARD_SCHEDULE "
                             f"webhook (id {webhook_id}); only one is allowed per org"), error
            page.click("a[href='#/webhooks']")

        def validate():
            page.click("#webhook-list tbody tr th a")
            page.wait_for("#webhook-name", "console-hook")
            page.click("#validate")
            assert page.wait_for("#validate-result-code") == "SUCCESS"
            steps = page.evaluate("[...document.querySelectorAll('#validate-steps tbody tr')]"
                                  ".map((r) => [...r.children].map((c) => c.textContent))")
            assert steps == [["HTTP_CONNECTION_CHECK", "SUCCESS", "200", "", ""]], steps
            assert Receiver.posts == 1, Receiver.posts
            page.screenshot("console-validate.png")

        def history():
            page.click("#open-history")
            page.wait_for("h1", "Delivery history")
            page.wait_for("#history-jobs tbody tr")
            page.wait_for("#history-chart rect.bar")  # Loaded beside the jobs, in parallel.
            bars = page.evaluate("[...document.querySelectorAll('#history-chart rect.bar')]"
                                 ".map((r) => [r.dataset.status, r.dataset.count])")
            assert bars == [["SUCCESS", "1"]], bars
            legend = page.evaluate("[...document.querySelectorAll('#chart-legend li')]"
                                   ".map((l) => l.textContent)")
            assert legend == ["SUCCESS: 1", "FAILED: 0", "RETRY: 0", "PENDING: 0"], legend
            jobs = page.evaluate("[...document.querySelectorAll('#history-jobs tbody tr')]"
                                 ".map((r) => [r.dataset.status, r.children[4].textContent])")
            assert jobs == [["SUCCESS", "1"]], jobs
            page.screenshot("console-history.png")
            # Filtering by another status leaves nothing.
            page.evaluate("document.querySelector('#history-status').value = 'FAILED'")
            page.click("#history-apply")
            assert page.wait_for("#no-jobs") == "No deliveries match these filters."

        def narrow_window():
            page.send("Emulation.setDeviceMetricsOverride", width=360, height=740,
                      deviceScaleFactor=1, mobile=True)
            page.click("#nav-webhooks")
            page.wait_for("#webhook-list tbody tr th a", "console-hook")
            widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert widths == [360, 360], widths
            page.screenshot("console-narrow.png")
            page.send("Emulation.clearDeviceMetricsOverride")

        def preferences():
            page.click("#nav-preferences")
            page.wait_for("h1", "Channel preferences")
            page.wait_for("#cluster-preferences input")
            checked = page.evaluate("[...document.querySelectorAll('#cluster-preferences input')]"
                                    ".map((i) => [i.value, i.checked])")
            assert checked == [["EMAIL", False], ["WEBHOOK", True]], checked

        def no_page_errors():
            assert page.problems == [], page.problems

        for name, body in [("open the console", open_console), ("sign in", sign_in),
                           ("create a webhook", create_webhook),
                           ("a second webhook shows the API's error", second_webhook_error),
                           ("validate", validate), ("delivery history", history),
                           ("narrow window", narrow_window), ("preferences", preferences),
                           ("no page errors", no_page_errors)]:
            checks.run(name, body)
        page.send("Browser.close")
        receiver.shutdown()
    except Exception:
        if "page" in locals():
            print("page problems:\n" + "\n".join(page.problems), file=sys.stderr)
        if "webhookd_log" in locals():
            print("webhookd log:\n" + "\n".join(webhookd_log[-50:]), file=sys.stderr)
        traceback.print_exc()
        checks.write()
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    checks.write()
    print(f"{len(checks.cases)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
