"""The gateway's configuration: what run.py writes, and what nginx makes of it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = ROOT / "gateway"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx, brew install nginx)"
)


@pytest.fixture(scope="module")
def run() -> ModuleType:
    """gateway/run.py, a script, loaded as a module."""
    spec = importlib.util.spec_from_file_location("gateway_run", GATEWAY / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upstream_ports() -> dict[str, str]:
    names = re.findall(r"\$\{([A-Z0-9_]+_PORT)\}", (GATEWAY / "upstreams.dev.conf").read_text())
    return {name: str(8001 + index) for index, name in enumerate(names)}


def nginx_test(prefix: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t`: parses the configuration and opens what it names, serving nothing."""
    return subprocess.run(  # noqa: S603 (nginx, with fixed arguments)
        [NGINX, "-t", "-p", str(prefix), "-c", str(config), "-e", "stderr"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def test_without_nginx_the_gateway_says_how_to_install_it(
    run: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run.shutil, "which", lambda *args, **kwargs: None)
    assert run.main() == 1
    assert capsys.readouterr().err == (
        "nginx is not installed: sudo apt-get install nginx (Debian/Ubuntu) "
        "or brew install nginx (macOS)\n"
    )


def test_a_missing_port_is_named(run: ModuleType, tmp_path: Path) -> None:
    values = run.settings({"PORT": "8000"}, tmp_path)
    with pytest.raises(run.GatewayError, match="set WEB_PORT in the environment"):
        run.write_configuration(tmp_path, values)


def test_the_auth_cache_is_off_unless_asked_for(run: ModuleType, tmp_path: Path) -> None:
    assert run.settings({}, tmp_path)["AUTH_CACHE_BYPASS"] == "1"
    on = run.settings({"GATEWAY_AUTH_CACHE_SECONDS": "5"}, tmp_path)
    assert (on["AUTH_CACHE_BYPASS"], on["AUTH_CACHE_SECONDS"]) == ("0", "5")
    with pytest.raises(run.GatewayError, match="expected whole seconds"):
        run.settings({"GATEWAY_AUTH_CACHE_SECONDS": "soon"}, tmp_path)


def test_trusted_proxies_come_from_the_environment(run: ModuleType, tmp_path: Path) -> None:
    proxies = "10.0.0.0/8, 192.168.1.7 2001:db8::/32"
    networks = run.settings({"GATEWAY_TRUSTED_PROXIES": proxies}, tmp_path)["TRUSTED_NETWORKS"]
    assert networks == "10.0.0.0/8 192.168.1.7/32 2001:db8::/32"
    config = run.trusted_proxies_configuration(networks.split())
    assert trusted_networks(config) == (networks.split(), networks.split())
    # Nobody unless listed.
    nobody = run.trusted_proxies_configuration(
        run.settings({}, tmp_path)["TRUSTED_NETWORKS"].split()
    )
    assert trusted_networks(nobody) == ([], [])


@pytest.mark.parametrize("proxy", ["10.0.0.0/33", "proxy.example", "10.0.0.1;"])
def test_a_bad_trusted_proxy_is_named(run: ModuleType, tmp_path: Path, proxy: str) -> None:
    with pytest.raises(
        run.GatewayError, match=rf"GATEWAY_TRUSTED_PROXIES has '{re.escape(proxy)}'"
    ):
        run.settings({"GATEWAY_TRUSTED_PROXIES": f"10.0.0.0/8,{proxy}"}, tmp_path)


def trusted_networks(config: str) -> tuple[list[str], list[str]]:
    """The networks a trusted-proxies file lists: for set_real_ip_from, and in the geo
    block that says which peers are trusted."""
    real_ip = re.findall(r"^\s*set_real_ip_from\s+(\S+);", config, re.MULTILINE)
    geo = re.search(r"geo \$realip_remote_addr \$from_trusted_proxy \{(.*?)\}", config, re.DOTALL)
    assert geo, "no geo block for $from_trusted_proxy"
    listed = re.findall(r"^\s*([0-9A-Fa-f.:/]+)\s+1;", geo.group(1), re.MULTILINE)
    return real_ip, listed


def test_the_images_trusted_proxies_are_listed_twice_alike() -> None:
    """gateway/trusted-proxies.conf names each trusted network twice: the two lists
    must agree, or the gateway would take addresses from a proxy whose word on HTTPS it
    ignores (or the reverse)."""
    real_ip, geo = trusted_networks((GATEWAY / "trusted-proxies.conf").read_text())
    assert sorted(real_ip) == sorted(geo)


@needs_nginx
@pytest.mark.parametrize(("cache", "proxies"), [("0", ""), ("5", "127.0.0.1,10.0.0.0/8")])
def test_the_development_configuration_is_valid(
    run: ModuleType, tmp_path: Path, cache: str, proxies: str
) -> None:
    environment = {
        **upstream_ports(),
        "PORT": "8000",
        "GATEWAY_AUTH_CACHE_SECONDS": cache,
        "GATEWAY_TRUSTED_PROXIES": proxies,
    }
    config = run.write_configuration(tmp_path, run.settings(environment, tmp_path))
    result = nginx_test(tmp_path, config)
    assert result.returncode == 0, result.stderr


@needs_nginx
def test_the_production_configuration_is_valid(tmp_path: Path) -> None:
    """The image's nginx.conf, with the Kubernetes upstreams (the docker-compose ones use
    `resolve`, which needs nginx 1.27.3 or later: the image's, maybe not this machine's)."""
    (tmp_path / "gateway").mkdir()
    for name in ("http.conf", "routes.conf", "proxy.conf", "worker.conf", "trusted-proxies.conf"):
        shutil.copyfile(GATEWAY / name, tmp_path / "gateway" / name)
    shutil.copyfile(
        ROOT / "deploy" / "k8s" / "base" / "gateway-upstreams.conf",
        tmp_path / "gateway" / "upstreams.conf",
    )
    # The Kubernetes Services' names mean nothing here: one address for them all.
    upstreams = tmp_path / "gateway" / "upstreams.conf"
    upstreams.write_text(re.sub(r"server \S+:8000", "server 127.0.0.1:8000", upstreams.read_text()))
    # What nginx writes goes to tmp_path, not to the image's /tmp.
    config = (GATEWAY / "nginx.conf").read_text().replace("/tmp/", f"{tmp_path}/")  # noqa: S108
    (tmp_path / "nginx.conf").write_text(config)
    result = nginx_test(tmp_path, tmp_path / "nginx.conf")
    assert result.returncode == 0, result.stderr
