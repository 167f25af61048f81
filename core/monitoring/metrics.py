"""``/metrics`` in Prometheus's text format, through the official client (``prometheus_client``).

* ``engage_http_requests_total{endpoint,method,status}`` and
  ``engage_http_request_duration_seconds{endpoint,method}`` (a histogram) for every request,
  labelled by the Flask endpoint (never the raw path, so a scan of random addresses adds no series).
* Gauges read when Prometheus asks, by whichever process answers: the reward outbox now; others
  add theirs::

      from core.monitoring import metrics
      metrics.add_gauge("engage_jobs_failed", "Jobs that failed for good", count_failed_jobs, app=app)

  ``fn`` returns a number, or with ``labels=("queue",)`` a mapping ``{("mail",): 3, ...}``; it
  runs in an app context and should read shared state (the database, the queue), since every
  process may be the one asked. One that raises is left out of that answer and logged, and
  ``engage_metrics_gauge_up{gauge=…}`` says 0.
* Several gunicorn workers: with ``PROMETHEUS_MULTIPROC_DIR`` set before the workers start
  (gunicorn.conf.py does it), each worker writes its counts there and any worker answers with
  the sum of all (prometheus_client's multiprocess mode).
* Who may read it: ``METRICS_ALLOW`` (addresses and networks; loopback by default) or a request
  with ``Authorization: Bearer <METRICS_TOKEN>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from core.models import PendingReward
from core.monitoring.settings import apply_defaults

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages answer in milliseconds; an upload or an export may take seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
# Headers a proxy adds; with TRUSTED_PROXIES = 0 their presence means the real client is unknown.
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def trusts_a_proxy(app: Flask) -> bool:
    """Whether ``TRUSTED_PROXIES`` names any proxy (a value that is not a count counts as none
    here: ``core.security.limits.trust_proxies`` stops the app over it, saying why)."""
    try:
        return int(app.config.get("TRUSTED_PROXIES") or 0) > 0
    except (TypeError, ValueError):
        return False


def allowed_networks(setting) -> list:
    """``METRICS_ALLOW`` as networks: a list, or a string separated by spaces or commas."""
    if isinstance(setting, str):
        setting = setting.replace(",", " ").split()
    networks = []
    for entry in setting or ():
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(f"METRICS_ALLOW: {entry!r} is not an address or network such as 10.0.0.5 or "
                             "10.0.0.0/24") from None
    return networks


class Metrics:
    """The request metrics of one app, its gauges, and who may read them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.enabled = bool(app.config.get("METRICS_ENABLED"))
        self.networks = allowed_networks(app.config.get("METRICS_ALLOW"))
        self.token = str(app.config["METRICS_TOKEN"]) if app.config.get("METRICS_TOKEN") else None
        self.behind_proxy = trusts_a_proxy(app)
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        # One registry per app (tests build many apps in one process); in multiprocess mode the
        # values live in the shared folder whatever the registry.
        self.registry = CollectorRegistry()
        self.requests = Counter("engage_http_requests", "HTTP requests answered, by endpoint, method and status.",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("engage_http_request_duration_seconds",
                                 "Time from a request's arrival to the end of its answer, by endpoint and method.",
                                 ["endpoint", "method"], registry=self.registry, buckets=BUCKETS)
        self.gauges: dict[str, tuple[str, Callable[[], Any], tuple[str, ...]]] = {}
        self.add_gauge("engage_reward_outbox_depth", "Rewards queued in the outbox and not yet paid.",
                       reward_outbox_depth)
        self.add_gauge("engage_reward_outbox_oldest_seconds",
                       "Age of the oldest reward waiting in the outbox (0 when it is empty).", reward_outbox_oldest)

    def add_gauge(self, name: str, help: str, fn: Callable[[], Any], labels: Iterable[str] = ()) -> None:
        """Expose ``fn()`` as the gauge ``name``; a name taken or not valid for Prometheus stops the app."""
        if not _NAME.match(name) or name.startswith("engage_http_"):
            raise ValueError(f"gauge {name!r}: not a valid Prometheus name, or one kept for request metrics")
        if name in self.gauges:
            raise ValueError(f"gauge {name!r} is added twice")
        if not callable(fn):
            raise TypeError(f"gauge {name!r}: {fn!r} is not callable")
        self.gauges[name] = (help, fn, tuple(labels))

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        if not self.enabled:
            return
        method = method if method in METHODS else "other"
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint, method).observe(seconds)

    def may_read(self, environ) -> bool:
        """Whether this request may read the metrics: the bearer token, or an allowed address."""
        if self.token:
            given = environ.get("HTTP_AUTHORIZATION", "")
            if given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), self.token.encode()):
                return True
        if not self.behind_proxy and any(environ.get(header) for header in _FORWARDED):
            return False  # came through a proxy we were not told to trust: the client is unknown
        try:
            address = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        return any(address.version == network.version and address in network for network in self.networks)

    def exposition(self) -> bytes:
        """Every metric, summed over this server's workers in multiprocess mode, in the text format."""
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(self.registry))
        registry.register(_Gauges(self))
        return generate_latest(registry)


class _Forward:
    """This process's own registry, inside the one built for an answer."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):
        return self.registry.collect()


class _Gauges:
    """The gauges added with ``add_gauge``, read now."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):
        up = GaugeMetricFamily("engage_metrics_gauge_up", "1 when the gauge could be read for this answer, else 0.",
                               labels=["gauge"])
        with self.metrics.app.app_context():
            for name, (help, fn, labels) in self.metrics.gauges.items():
                family = GaugeMetricFamily(name, help, labels=list(labels))
                try:
                    value = fn()
                    if labels:
                        for label_values, number in dict(value).items():
                            if isinstance(label_values, str):
                                label_values = (label_values,)
                            family.add_metric([str(v) for v in label_values], float(number))
                    else:
                        family.add_metric([], float(value))
                except Exception:
                    log.warning("gauge %s could not be read", name, exc_info=True)
                    up.add_metric([name], 0)
                    continue
                up.add_metric([name], 1)
                yield family
        yield up


def of(app: Flask) -> Metrics:
    """``app``'s metrics, made on first use (a plugin's blueprint may add a gauge before
    ``core.monitoring.init_app`` runs)."""
    if "engage.metrics" not in app.extensions:
        apply_defaults(app)
        app.extensions["engage.metrics"] = Metrics(app)
    return app.extensions["engage.metrics"]


def add_gauge(name: str, help: str, fn: Callable[[], Any], *, labels: Iterable[str] = (),
              app: Flask | None = None) -> None:
    """Add a gauge to ``app``'s metrics (by default the current app's); see the module's docstring."""
    of(app or current_app).add_gauge(name, help, fn, labels)


def reward_outbox_depth() -> int:
    """Rewards in the outbox (``core_pending_reward``), waiting to be paid."""
    with current_app.extensions["engage.db"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(PendingReward.__table__)).scalar_one()


def reward_outbox_oldest() -> float:
    """Seconds the oldest reward in the outbox has waited; 0 when none waits."""
    table = PendingReward.__table__
    with current_app.extensions["engage.db"].engine.connect() as connection:
        oldest = connection.execute(select(func.min(table.c.created_at))).scalar_one()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())
