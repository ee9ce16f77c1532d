"""One member cluster's API, as plain JSON over the ``kubernetes`` client's transport
(TLS, tokens, exec plugins and client certificates come from its Configuration), or
over urllib3 alone for an :class:`~gitfleet.kube.endpoint.Endpoint` (the kubeconfig
entries gitfleet reads itself, without importing the library).

Requests skip the generated models: gitfleet handles manifests as dicts anyway, and
the models' (de)serialisation would cost more CPU than the request itself. Every
request passes a per-cluster concurrency bound and token bucket; the bucket is turned
off as soon as a response carries the ``X-Kubernetes-PF-*`` headers of API Priority
and Fairness, which protects the server better than any client could.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import urllib3

from gitfleet.kube.endpoint import Endpoint, Transport
from gitfleet.kube.errors import NotFound, Unreachable, error_for
from gitfleet.kube.ratelimit import TokenBucket
from gitfleet.kube.settings import ClientSettings
from gitfleet.model.keys import ResourceId

if TYPE_CHECKING:
    from kubernetes.client import Configuration

FIELD_MANAGER = "gitfleet"  # a compatibility promise: never rename it
APF_HEADER_PREFIX = "x-kubernetes-pf-"
AUTH_REFRESH = 30.0  # seconds an Authorization header is reused
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


@dataclass(frozen=True)
class ApiResource:
    """What discovery says about a kind on one cluster."""

    group_version: str
    kind: str
    plural: str
    namespaced: bool


@dataclass
class RequestStats:
    reads: int = 0
    writes: int = 0  # mutating requests that were not dry runs
    dry_runs: int = 0
    throttled_seconds: float = 0.0


class KubeClient:
    """The API of one cluster. Thread-safe; share one per cluster."""

    def __init__(self, name: str, configuration: Configuration | Endpoint,
                 settings: ClientSettings | None = None) -> None:
        self.name = name
        self.settings = settings or ClientSettings()
        configuration.connection_pool_maxsize = self.settings.concurrency + 2
        # Connect failures are retried briefly; a request that reached the server is
        # never re-sent by urllib3 (the engine decides what to retry).
        configuration.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, other=0,
                                              backoff_factor=0.2, raise_on_status=False)
        self.configuration = configuration
        self._api: Any = None
        if isinstance(configuration, Endpoint):
            self._transport: Any = Transport(configuration)
        else:
            from kubernetes.client import ApiClient

            self._api = ApiClient(configuration)
            self._transport = None
        self._slots = threading.BoundedSemaphore(self.settings.concurrency)
        self.bucket = TokenBucket(self.settings.qps, self.settings.burst)
        self.apf = False
        self.stats = RequestStats()
        self._stats_lock = threading.Lock()
        self._discovery: dict[str, dict[str, ApiResource]] = {}
        self._discovery_lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self._auth_value: str | None = None
        self._auth_until = 0.0

    @property
    def host(self) -> str:
        return str(self.configuration.host)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
        else:
            self._transport.close()

    @property
    def _pool(self) -> urllib3.PoolManager:
        pool = self._transport.pool_manager if self._api is None else self._api.rest_client.pool_manager
        assert isinstance(pool, urllib3.PoolManager)
        return pool

    # -- transport ---------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        what: str = "",
    ) -> Any:
        """Send one request and return the decoded JSON body; raises a
        :class:`~gitfleet.kube.errors.KubeError` subclass for any failure."""
        url = self.host + path + (("?" + urlencode(query)) if query else "")
        headers = {"Accept": accept, "User-Agent": "gitfleet"}
        token = self._authorization()
        if token:
            headers["authorization"] = token
        payload: Any = None
        if body is not None:
            headers["Content-Type"] = content_type
            # The transport JSON-encodes bodies of JSON types itself and sends bytes as
            # they are for the others (apply patches go as JSON text, which is YAML).
            if content_type.split(";")[0].endswith("json") or isinstance(body, (bytes, str)):
                payload = body
            else:
                payload = json.dumps(body).encode()
        dry = bool(query and query.get("dryRun"))
        for attempt in range(self.settings.retries + 1):
            status, data, resp_headers = self._send(method, url, headers, payload)
            self._note(method, dry, resp_headers)
            if status in RETRY_STATUSES and attempt < self.settings.retries:
                # Every verb gitfleet sends is idempotent (apply, delete with a uid
                # precondition, reads), so a throttled or failing request is re-sent.
                time.sleep(_retry_after(resp_headers, attempt))
                continue
            break
        if not 200 <= status < 300:
            raise error_for(self.name, status, data, what)
        if not data:
            return None
        return json.loads(data)

    def _authorization(self) -> str | None:
        """The Authorization header, refreshed at most every AUTH_REFRESH seconds: the
        client's refresh hook (exec plugins, expiring tokens) rebuilds part of the
        configuration on every call, which would cost more than the request."""
        now = time.monotonic()
        with self._auth_lock:
            if self._auth_until <= now:
                auth = self.configuration.auth_settings().get("BearerToken")
                self._auth_value = str(auth["value"]) if auth else None
                self._auth_until = now + AUTH_REFRESH
            return self._auth_value

    def _send(self, method: str, url: str, headers: dict[str, str], payload: Any) -> tuple[int, bytes, Any]:
        waited = self.bucket.acquire()
        if waited:
            with self._stats_lock:
                self.stats.throttled_seconds += waited
        with self._slots:
            try:
                if self._api is None:
                    return self._transport.request(  # type: ignore[no-any-return]
                        method, url, dict(headers), payload, (5.0, self.settings.timeout))
                resp = self._api.rest_client.request(
                    method, url, headers=dict(headers), body=payload,
                    _request_timeout=(5.0, self.settings.timeout),
                )
                return int(resp.status), resp.response.data, resp.headers
            except (urllib3.exceptions.HTTPError, OSError) as err:
                raise Unreachable(self.name, f"cannot reach {self.host}: {_reason(err)}") from err
            except Exception as err:
                if type(err).__name__ == "ApiException":  # the client's wrapper of TLS failures
                    raise Unreachable(self.name, f"cannot reach {self.host}: {err}") from err
                raise

    def get_once(self, path: str, timeout: float) -> tuple[int, bytes]:
        """One GET of ``path`` with at most ``timeout`` seconds in all (connect and
        read): no retry, no rate limit, any status returned (a health probe must
        report what it saw within its interval, not wait for a busy server's turn).
        :class:`~gitfleet.kube.errors.Unreachable` when there is no answer."""
        headers = {"Accept": "*/*", "User-Agent": "gitfleet"}
        token = self._authorization()
        if token:
            headers["authorization"] = token
        try:
            resp = self._pool.request(
                "GET", self.host + path, headers=headers, retries=False,
                timeout=urllib3.Timeout(total=timeout), preload_content=True,
            )
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise Unreachable(self.name, f"cannot reach {self.host}: {_reason(err)}") from err
        with self._stats_lock:
            self.stats.reads += 1
        return int(resp.status), bytes(resp.data or b"")

    def _note(self, method: str, dry: bool, headers: Mapping[str, str]) -> None:
        if self.settings.honor_apf and not self.apf and any(
            h.lower().startswith(APF_HEADER_PREFIX) for h in headers
        ):
            self.apf = True
            self.bucket.disable()
        with self._stats_lock:
            if method == "GET":
                self.stats.reads += 1
            elif dry:
                self.stats.dry_runs += 1
            else:
                self.stats.writes += 1

    # -- discovery ---------------------------------------------------------------

    def server_version(self) -> str:
        doc = self.request("GET", "/version")
        return str(doc.get("gitVersion", ""))

    def resource_for(self, api_version: str, kind: str) -> ApiResource:
        """Plural name and scope of ``kind`` in ``api_version``; discovery is cached
        and refreshed once when the kind is not (yet) known, as after a new CRD."""
        for refresh in (False, True):
            found = self._group_version(api_version, refresh).get(kind)
            if found is not None:
                return found
        raise NotFound(
            self.name,
            f"the server does not serve {kind} in {api_version}"
            " (is its CustomResourceDefinition installed, and the apiVersion right?)",
            404,
        )

    def _group_version(self, api_version: str, refresh: bool) -> dict[str, ApiResource]:
        with self._discovery_lock:
            if not refresh and api_version in self._discovery:
                return self._discovery[api_version]
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            doc = self.request("GET", path)
        except NotFound:
            doc = {"resources": []}
        kinds: dict[str, ApiResource] = {}
        for res in doc.get("resources") or ():
            name = str(res.get("name", ""))
            if "/" in name:  # subresources such as deployments/status
                continue
            kinds[str(res.get("kind"))] = ApiResource(api_version, str(res.get("kind")), name,
                                                      bool(res.get("namespaced")))
        with self._discovery_lock:
            self._discovery[api_version] = kinds
        return kinds

    def collection_path(self, api_version: str, kind: str, namespace: str | None) -> str:
        res = self.resource_for(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if res.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{res.plural}"
        return f"{base}/{res.plural}"

    def object_path(self, rid: ResourceId) -> str:
        return f"{self.collection_path(rid.api_version, rid.kind, rid.namespace)}/{quote(rid.name, safe='')}"

    # -- verbs -------------------------------------------------------------------

    def get(self, rid: ResourceId) -> dict[str, Any] | None:
        """The live object, or ``None`` when it does not exist."""
        try:
            return self.request("GET", self.object_path(rid), what=str(rid))  # type: ignore[no-any-return]
        except NotFound:
            return None

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str | None = None,
        metadata_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Every object of ``kind`` in ``namespace`` (all namespaces when ``None``),
        following ``continue`` tokens. ``metadata_only`` fetches just the metadata."""
        path = self.collection_path(api_version, kind, namespace)
        query: dict[str, str] = {"limit": "500"}
        if label_selector:
            query["labelSelector"] = label_selector
        items: list[dict[str, Any]] = []
        while True:
            doc = self.request("GET", path, query=query,
                               accept=METADATA_LIST_ACCEPT if metadata_only else "application/json",
                               what=f"list {kind}")
            for item in doc.get("items") or ():
                # List items come without their type; callers handle objects whole.
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return items
            query["continue"] = token

    def apply(self, manifest: Mapping[str, Any], force: bool = True, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply with field manager ``gitfleet``; returns the object as
        the server stored it (or would have, on a dry run)."""
        rid = ResourceId.of(manifest)
        query = {"fieldManager": FIELD_MANAGER, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request(  # type: ignore[no-any-return]
            "PATCH", self.object_path(rid), query=query, body=json.dumps(manifest).encode(),
            content_type="application/apply-patch+yaml", what=str(rid),
        )

    def delete(self, rid: ResourceId, dry_run: bool = False, uid: str | None = None) -> None:
        """Delete in the background; ``uid`` guards against deleting a newer object
        of the same name."""
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        query = None
        if dry_run:
            # The server reads DeleteOptions from the body when there is one, and the
            # query only otherwise: say it in both.
            body["dryRun"] = ["All"]
            query = {"dryRun": "All"}
        self.request("DELETE", self.object_path(rid), query=query, body=body, what=str(rid))


def _retry_after(headers: Mapping[str, str] | None, attempt: int) -> float:
    try:
        value = float((headers or {}).get("Retry-After", ""))
    except ValueError:
        value = 0.0
    return float(min(max(value, 0.2 * 2**attempt), 5.0))


def _reason(err: BaseException) -> str:
    inner = getattr(err, "reason", None)
    return str(inner or err)
