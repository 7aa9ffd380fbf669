"""Reads a Prometheus text exposition (format 0.0.4) with prometheus_client's own parser and
prints each family's name, type and number of samples, one per line, so that a test can check
that the parser accepts all of it and sees what the test expects."""
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as exposition:
    for family in text_string_to_metric_families(exposition.read()):
        print(family.name, family.type, len(family.samples))
