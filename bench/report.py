"""Prints bench/run.sh's table from the raw outputs in the directory given as argv[1].

Every figure is shown with the baseline measured in the same run and their ratio; rows with a
target from issue #6 say whether it is met.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys

out = sys.argv[1]
rows = []  # (figure, value, baseline, ratio, target, met)


def read(name):
    with open(os.path.join(out, name)) as f:
        return f.read()


def fields(text):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", text)}


def row(figure, value, baseline, unit, target=None, better="lower"):
    ratio = value / baseline if baseline else float("nan")
    met = ""
    if target is not None:
        met = "met" if (ratio <= target if better == "lower" else ratio >= target) else "MISSED"
        target = ("<= %g" if better == "lower" else ">= %g") % target
    rows.append((figure, "%.4g %s" % (value, unit), "%.4g %s" % (baseline, unit),
                 "%.3f" % ratio, target or "", met))


# ---- Engine (CPU time per operation; create and delete are timed by hand, in real time).
engine = {}
for b in json.load(open(os.path.join(out, "engine.json")))["benchmarks"]:
    manual = b["name"].endswith("/manual_time")
    name = b["name"].replace("/manual_time", "")
    scale = {"ns": 1e-3, "us": 1, "ms": 1e3}[b["time_unit"]]
    engine[name] = (b["real_time"] if manual else b["cpu_time"]) * scale
sort_names = {1: "CREATED", 2: "MODIFIED", 3: "NAME"}
order_names = {1: "ASC", 2: "DESC"}
for deep in (0, 1):
    for field in (1, 2, 3):
        for order in (1, 2):
            key = "BM_SearchPage/webhooks:%d/field:%d/order:%d/deep:%d"
            base = engine[key % (100, field, order, deep)]
            for n in (10000, 100000):
                row("engine search page, %s %s, %s, at %d / at 100" %
                    (sort_names[field], order_names[order],
                     "last page (offset n-50)" if deep else "first page", n),
                    engine[key % (n, field, order, deep)], base, "us",
                    target=2 if n == 100000 else None)
for name, label in (("BM_SearchAdminOneOrg", "engine search, cross-org admin naming one org"),
                    ("BM_SearchOwnOrg", "engine search, own org only"),
                    ("BM_Create", "engine create (real time)"),
                    ("BM_Update", "engine update"),
                    ("BM_Delete", "engine delete (real time)")):
    base = engine["%s/webhooks:100" % name]
    for n in (10000, 100000):
        row("%s, at %d / at 100" % (label, n), engine["%s/webhooks:%d" % (name, n)], base, "us")

# ---- Memory.
memory = dict(line.split() for line in read("memory.txt").splitlines())
per_webhook = float(memory["bytes_per_webhook"])
row("resident bytes per webhook at 100,000 / serialized bytes of one webhook", per_webhook,
    float(memory["serialized_bytes_per_webhook"]), "B")
row("resident bytes per webhook at 100,000 / 2 KiB", per_webhook, 2048, "B", target=1)

# ---- gRPC and REST search.


def wrk(name):
    text = read(name)
    result = {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))}
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+([0-9.]+)(us|ms|s)\s*$" % pct, text, re.M)
        result["p" + pct] = float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non2xx"] = int(m.group(1)) if m else 0
    return result


for name, target in (("large", True), ("small", False)):
    search = fields(read("grpc_search-%s.txt" % name))
    echo = fields(read("grpc_echo-%s.txt" % name))
    orgs = int(fields(read("fill-%s.txt" % name)).get("created", 0))
    at = "%d orgs" % orgs
    row("gRPC SearchWebhooks QPS at %s / echo QPS (%d-byte reply)" % (at, search["response_bytes"]),
        search["qps"], echo["qps"], "/s", target=0.8 if target else None, better="higher")
    row("gRPC SearchWebhooks p50 at %s / echo p50" % at, search["p50_us"], echo["p50_us"], "us")
    row("gRPC SearchWebhooks p99 at %s / echo p99" % at, search["p99_us"], echo["p99_us"], "us")
    rest = wrk("rest_search-%s.txt" % name)
    if rest["non2xx"]:
        rows.append(("REST search at %s: %d answers were not 200" % (at, rest["non2xx"]),
                     "", "", "", "", ""))
    row("REST search req/s (wrk) at %s / gRPC SearchWebhooks QPS" % at, rest["rps"],
        search["qps"], "/s", target=0.6 if target else None, better="higher")
    row("REST search p50 at %s / gRPC SearchWebhooks p50" % at, rest["p50"], search["p50_us"], "us")
    row("REST search p99 at %s / gRPC SearchWebhooks p99" % at, rest["p99"], search["p99_us"], "us")

# ---- Delivery.
baseline = wrk("wrk_nginx.txt")
delivery_body = 0


def delivery(name, target, p99_target=None):
    global delivery_body
    sent = {}
    for line in read("published-%s.txt" % name).splitlines():
        job, t = line.split()
        sent[job] = float(t)
    received, sizes = {}, []
    for line in read("nginx/logs/%s.log" % name).splitlines():
        t, key, size = line.split()[:3]
        if key in sent and key not in received:
            # $msec is the receipt truncated to the millisecond: the end of that millisecond is
            # the latest it can have been, so each latency below is an upper bound.
            received[key] = float(t) + 0.001
            if size.isdigit():
                sizes.append(int(size))
    if name == "durable" and sizes:
        delivery_body = int(statistics.median(sizes))
    if not received:
        rows.append(("deliveries/s (%s)" % name, "0 received", "%.4g /s" % baseline["rps"], "0",
                     ">= 0.5" if target else "", "MISSED" if target else ""))
        return
    latencies = sorted((received[k] - sent[k]) * 1e6 for k in received)
    span = max(received.values()) - min(sent.values())
    publish = fields(read("publish-%s.txt" % name))
    row("deliveries/s, %s store (%d of %d events received; %d publishes refused, queue full) / "
        "wrk POST req/s to the same nginx" % (name, len(received), len(sent),
                                               publish.get("rejected", 0)),
        len(received) / span, baseline["rps"], "/s", target=0.5 if target else None,
        better="higher")
    row("publish-to-receipt p50, %s / wrk POST p50" % name,
        latencies[len(latencies) // 2], baseline["p50"], "us")
    row("publish-to-receipt p99, %s / wrk POST p99" % name,
        latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)], baseline["p99"], "us",
        target=p99_target)


delivery("durable", True)
delivery("memory", False)
delivery("memory-paced", False, p99_target=10)
delivery("postgres", False)
delivery("postgres-2", False)

# ---- Durable creates: PostgreSQL (1 and 2 replicas) against the journal, same writers.
creates = {b["name"]: b["items_per_second"]
           for b in json.loads(read("durable.json"))["benchmarks"] if "items_per_second" in b}


def creates_per_second(store, threads):
    return creates.get("BM_DurableCreate/%s/real_time/threads:%d" % (store, threads), 0.0)


for store, label, threads, journal_threads in (
        ("postgres", "PostgreSQL, 1 replica", 1, 1),
        ("postgres", "PostgreSQL, 1 replica", 64, 64),
        ("postgres_two_replicas", "PostgreSQL, 2 replicas", 2, 1),
        ("postgres_two_replicas", "PostgreSQL, 2 replicas", 64, 64)):
    row("durable creates/s, %s, %d writers / journal, %d writer(s)" %
        (label, threads, journal_threads), creates_per_second(store, threads),
        creates_per_second("journal", journal_threads), "/s", better="higher")

# ---- Print.
cpu = ""
try:
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
except (OSError, AttributeError):
    pass
mem_kib = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
print("Machine: %s, %d CPUs, %.0f GiB RAM, Linux %s" %
      (cpu, os.cpu_count(), mem_kib / 2**20, platform.release()))
print("Run: gRPC and REST search with one webhook and one token per org; delivery body %d bytes "
      "(wrk POSTs the same size)\n" % delivery_body)
header = ("figure", "value", "baseline", "ratio", "target", "")
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
