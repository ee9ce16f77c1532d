"""The background reconciler behind ``gitfleet run``: one reconcile cycle as a plain
function (:mod:`gitfleet.reconcile.cycle`), run every interval by APScheduler
(:mod:`gitfleet.reconcile.loop`, the only module of gitfleet that imports it), with
HTTP endpoints for probes and Prometheus (:mod:`gitfleet.reconcile.http`)."""

from gitfleet.reconcile.config import ConfigFileError, RunConfig, load_config, parse_config
from gitfleet.reconcile.cycle import CycleReport, Reconciler

__all__ = ["ConfigFileError", "CycleReport", "Reconciler", "RunConfig", "load_config", "parse_config"]
