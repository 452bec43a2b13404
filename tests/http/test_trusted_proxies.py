"""``TRUSTED_PROXIES``: behind reverse proxies the client's address and scheme are theirs."""

from __future__ import annotations

from collections.abc import Callable

from tests.http.conftest import Env, Keys
from tests.http.test_dashboard_pages import csrf_of, sign_in

PROXY = {"REMOTE_ADDR": "10.0.0.1"}


def statuses(env: Env, *clients: str) -> list[int]:
    """Signed-out page views, one per client address, all arriving from the proxy."""
    browser = env.client.flask
    return [
        browser.get(
            "/", environ_base=PROXY, headers={"X-Forwarded-For": f"{ip}, 10.0.0.9"}
        ).status_code
        for ip in clients
    ]


def test_throttling_counts_each_client_behind_the_trusted_proxies(
    make_env: Callable[..., Env],
) -> None:
    # two proxies in front: the client is the second address from the right
    behind = make_env(throttle_limit=1, trusted_proxies=2)
    assert statuses(behind, "198.51.100.7", "198.51.100.8", "198.51.100.7") == [303, 303, 429]
    # not trusted: every client behind the proxy shares the proxy's count
    plain = make_env(throttle_limit=1)
    assert statuses(plain, "198.51.100.7", "198.51.100.8") == [303, 429]


def test_a_form_behind_a_tls_proxy_passes_the_origin_check(
    make_env: Callable[..., Env], keys: Keys
) -> None:
    """The browser's Origin is https://…; the app sees http unless the proxy is trusted."""

    def sign_out(env: Env) -> int:
        sign_in(env, keys)
        browser = env.client.flask
        tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        token = csrf_of(browser.get("/", environ_base=PROXY, headers=tls))
        headers = {**tls, "Origin": "https://localhost"}
        answer = browser.post(
            "/sign-out", data={"csrf_token": token}, environ_base=PROXY, headers=headers
        )
        return answer.status_code

    assert sign_out(make_env(trusted_proxies=1)) == 303
    assert sign_out(make_env()) == 403
