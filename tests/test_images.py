"""Each template's Dockerfiles, built with buildah and run: the image's own command
serves /healthz, as its numeric non-root user, and the hybrid's gateway image routes a
logged-in user's request to a worker image.

Built on stand-in base images (tests/images.py): Debian's Python and nginx under the
official images' names, since no registry is reachable here. Skipped, saying why, where
buildah cannot run.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import images
from browser import Browser, fetch
from generated import confirmed_account, free_port, render, running, wait_for_http
from servers import redis_server

REASON = images.unavailable()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=f"no image tests: {REASON}"),
]
SLUG = "my_project"
USER = "10001:10001"


@pytest.fixture(scope="session")
def standins() -> None:
    images.ensure_standins()


@pytest.fixture
def built(standins: None) -> Iterator[dict[str, str]]:
    """Tags of the images a test builds, removed afterwards."""
    tags: dict[str, str] = {}
    yield tags
    for tag in tags.values():
        images.remove(tag)


def build(project: Path, name: str, tags: dict[str, str]) -> str:
    tag = images.new_tag(name)
    seconds = images.build(project, tag)
    tags[name] = tag
    megabytes = images.size(tag) / 1e6
    print(f"{name}: {megabytes:.0f} MB, built in {seconds:.0f} s ({images.STANDIN})")
    return tag


def check_unprivileged(tag: str) -> None:
    """A numeric user that owns nothing it runs, and a health check."""
    config = images.inspect(tag)
    assert config["User"] == USER
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    with images.container(tag) as box:
        probe = (
            "import os; print(os.getuid(), os.getgid(), "
            "os.access('/app', os.W_OK), os.access('/opt/venv', os.W_OK))"
        )
        assert box.exec("python", "-c", probe).split() == ["10001", "10001", "False", "False"]


def image_command(tag: str) -> list[str]:
    return images.inspect(tag)["Cmd"]


def on_loopback(port: int, metrics_port: int | None = None) -> dict[str, str]:
    # The image binds 0.0.0.0:$PORT; on the host's network, keep it to 127.0.0.1. Its
    # metrics follow the address, on a port of their own (9100 would clash between tests).
    return {
        "PORT": str(port),
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        "METRICS_PORT": str(metrics_port or free_port()),
    }


def test_flask_image(tmp_path: Path, built: dict[str, str]) -> None:
    # SQLite on the image's data directory, and Celery: the most the image itself holds.
    project = render("flask", {"task_queue": "celery"}, tmp_path / "project")
    tag = build(project, "flask", built)
    check_unprivileged(tag)
    command = ["gunicorn", "--config", "gunicorn.conf.py", f"{SLUG}:create_app()"]
    assert image_command(tag) == command
    port, metrics_port = free_port(), free_port()
    environment = {
        **on_loopback(port, metrics_port),
        "SECRET_KEY": "image-" + "x" * 60,
        # The one directory the image lets its user write (docker-compose's volume).
        "DATABASE_URL": "sqlite:////app/data/app.sqlite3",
        "TRUSTED_HOSTS": "127.0.0.1",
        # Read at start, not reached: no mail is sent.
        "EMAIL_URL": "smtp://127.0.0.1:9",
    }
    log = tmp_path / "image.log"
    # Readiness asks Celery's broker too: a real Redis, on the host's network.
    with redis_server() as redis, images.container(tag) as box:
        environment["CELERY_BROKER_URL"] = redis.url()
        # The migrations ship in the image, and apply as its user.
        box.exec("flask", "db", "upgrade", env=environment)
        server = box.start(image_command(tag), log, env=environment)
        with running(server, log):
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz", server, timeout=120)
            health, ready = fetch(f"{base}/healthz"), fetch(f"{base}/readyz")
            assert (health.status, health.json()) == (200, {"status": "ok"})
            checks = {"database": "ok", "broker": "ok"}
            assert (ready.status, ready.json()["checks"]) == (200, checks)
            # The workers' figures, written under /tmp as the image's user, and added up
            # by gunicorn's master on the metrics port; the app's own port has none.
            metrics = fetch(f"http://127.0.0.1:{metrics_port}/metrics")
            assert metrics.status == 200
            readyz = 'method="GET",route="/readyz",status="200"'
            assert "http_request_duration_seconds_count{" + readyz + "} 1.0" in metrics.text
            assert "process_resident_memory_bytes{pid=" in metrics.text
            assert fetch(f"{base}/metrics").status == 404
            # The Celery worker's entry point loads in the image too.
            box.exec("python", "-c", f"import {SLUG}.worker", env=environment)


def test_django_image(tmp_path: Path, built: dict[str, str]) -> None:
    project = render("django", {}, tmp_path / "project")
    tag = build(project, "django", built)
    check_unprivileged(tag)
    assert image_command(tag) == ["gunicorn", "config.wsgi"]
    port = free_port()
    environment = {
        **on_loopback(port),
        "SECRET_KEY": "image-" + "x" * 60,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        # The one directory the image lets its user write (docker-compose's volume).
        "DATABASE_URL": "sqlite:////app/data/db.sqlite3",
        # Production refuses to start without a mail server while sign-up is open; read
        # at start, not reached: no mail is sent here.
        "EMAIL_URL": "smtp://127.0.0.1:9",
    }
    log = tmp_path / "image.log"
    with images.container(tag) as box:
        box.exec("python", "manage.py", "migrate", "--noinput", env=environment)
        server = box.start(image_command(tag), log, env=environment)
        with running(server, log):
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz", server, timeout=120)
            assert fetch(f"{base}/healthz").status == 200
            assert fetch(f"{base}/readyz").status == 200
            # Static files collected at build time, under hashed names.
            https = {"X-Forwarded-Proto": "https"}
            home = fetch(f"{base}/", headers=https)
            assert home.status == 200
            (stylesheet,) = re.findall(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
            assert fetch(f"{base}{stylesheet}", headers=https).status == 200


def key_pair(directory: Path) -> tuple[str, str]:
    private, public = directory / "private.pem", directory / "public.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", private], check=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True)
    return private.read_text(), public.read_text()


def test_hybrid_images_route_a_logged_in_user_to_a_worker(
    tmp_path: Path, built: dict[str, str]
) -> None:
    project = render("hybrid", {}, tmp_path / "project")
    web = build(project / "web", "hybrid-web", built)
    worker = build(project / "services" / "reports", "hybrid-reports", built)
    gateway = build(project / "gateway", "hybrid-gateway", built)
    for tag in (web, worker):
        check_unprivileged(tag)
    assert images.inspect(gateway)["User"] == "101"  # the base image's, nginx-unprivileged

    private, public = key_pair(tmp_path)
    ports = {"gateway": free_port(), "web": free_port(), "reports": free_port()}
    web_env = {
        **on_loopback(ports["web"]),
        "SECRET_KEY": "image-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": "sqlite:////tmp/db.sqlite3",
        "JWT_PRIVATE_KEY": private,
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": "smtp://127.0.0.1:9",
    }
    worker_env = {**on_loopback(ports["reports"]), "JWT_PUBLIC_KEY": public}
    # As Kubernetes does (deploy/k8s/base), the gateway's upstreams.conf is replaced: here
    # the apps are on loopback ports. Its listen port moves off 8080 for the same reason.
    upstreams = tmp_path / "upstreams.conf"
    upstreams.write_text(
        f"upstream web {{ server 127.0.0.1:{ports['web']}; keepalive 8; }}\n"
        f"upstream reports {{ server 127.0.0.1:{ports['reports']}; keepalive 8; }}\n"
    )
    # And its logs: nginx reopens /dev/stdout and /dev/stderr as user 101, which the pipes
    # of `buildah run` (root's) refuse, where a container engine's would not.
    nginx_conf = tmp_path / "nginx.conf"
    original = (project / "gateway" / "nginx.conf").read_text()
    assert "listen 8080;" in original and "error_log /dev/stderr" in original
    nginx_conf.write_text(
        original.replace("listen 8080;", f"listen 127.0.0.1:{ports['gateway']};").replace(
            "error_log /dev/stderr", "error_log stderr"
        )
    )
    # The test's client stands for the TLS-ending proxy in front: trusted, as its
    # X-Forwarded-Proto must be (trusted-proxies.conf says how).
    trusted = tmp_path / "trusted-proxies.conf"
    trusted.write_text(
        "set_real_ip_from 127.0.0.1;\n"
        "geo $realip_remote_addr $from_trusted_proxy { default 0; 127.0.0.1 1; }\n"
    )
    http_conf = tmp_path / "http.conf"
    original = (project / "gateway" / "http.conf").read_text()
    assert "access_log /dev/stdout" in original
    http_conf.write_text(original.replace("access_log /dev/stdout", "access_log /tmp/access.log"))

    # An account whose owner confirmed the address (as the mailed link would).
    create_user = confirmed_account("ada@example.com", "a long password")
    with (
        images.container(web) as web_box,
        images.container(worker) as worker_box,
        images.container(gateway) as gateway_box,
    ):
        web_box.exec("python", "manage.py", "migrate", "--noinput", env=web_env)
        user_id = web_box.exec(
            "python", "manage.py", "shell", "--verbosity", "0", "-c", create_user, env=web_env
        ).strip()
        logs = {name: tmp_path / f"{name}.log" for name in ports}
        web_server = web_box.start(image_command(web), logs["web"], env=web_env)
        worker_server = worker_box.start(image_command(worker), logs["reports"], env=worker_env)
        gateway_server = gateway_box.start(
            image_command(gateway),
            logs["gateway"],
            volumes=[
                f"{upstreams}:/etc/nginx/gateway/upstreams.conf:ro",
                f"{nginx_conf}:/etc/nginx/nginx.conf:ro",
                f"{http_conf}:/etc/nginx/gateway/http.conf:ro",
                f"{trusted}:/etc/nginx/gateway/trusted-proxies.conf:ro",
            ],
        )
        with (
            running(web_server, logs["web"]),
            running(worker_server, logs["reports"]),
            running(gateway_server, logs["gateway"]),
        ):
            for name, server in (("web", web_server), ("reports", worker_server)):
                url = f"http://127.0.0.1:{ports[name]}/healthz"
                wait_for_http(url, server, timeout=120, until_ok=True)
            base = f"http://127.0.0.1:{ports['gateway']}"
            wait_for_http(f"{base}/healthz", gateway_server, timeout=60, until_ok=True)
            assert fetch(f"{base}/api/reports/whoami").status == 401

            # A browser behind the TLS-ending proxy, which says so in X-Forwarded-Proto:
            # production settings make the cookies Secure and check the HTTPS origin.
            browser = Browser(base)
            fields = {"login": "ada@example.com", "password": "a long password"}
            logged_in = browser.submit("/accounts/login/", fields)
            assert logged_in.status == 302, logged_in.text
            # The trusted proxy's request id is the one the gateway passes on and returns.
            whoami = browser.request(
                "GET", "/api/reports/whoami", headers={"X-Request-ID": "from-the-proxy-1"}
            )
            assert whoami.json() == {"service": "reports", "user_id": user_id}
            assert whoami.headers["X-Request-ID"] == "from-the-proxy-1"
