"""Run the gateway (nginx) in the foreground, for local development.

    python gateway/run.py

The Procfile runs it beside the other processes (`honcho start`). It fills in the
development configuration (nginx.dev.conf and upstreams.dev.conf) from the environment,
writes it to a run directory with the files it includes, and replaces itself with
nginx: stopping this process stops nginx.

Environment:
    PORT                        the gateway's port (default 8000)
    WEB_PORT, <SERVICE>_PORT    where the web app and each worker service listen (the
                                Procfile sets them)
    GATEWAY_AUTH_CACHE_SECONDS  reuse the web app's answer about a user for this long,
                                for GET and HEAD (default 0: ask on every request)
    GATEWAY_TRUSTED_PROXIES     the proxies in front whose X-Forwarded-For names the
                                client: addresses or networks, comma-separated (default
                                none; in production: trusted-proxies.conf)
    GATEWAY_RUN_DIR             where the configuration, logs and temporary files go
                                (default gateway/run/, git-ignored)
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

GATEWAY_DIR = Path(__file__).resolve().parent
# The files routes.conf and the main configurations include, the same in production.
INCLUDED_FILES = ("http.conf", "routes.conf", "proxy.conf", "worker.conf")
# Production's list of trusted proxies; development writes its own from the environment.
TRUSTED_PROXIES_FILE = "trusted-proxies.conf"
# ${NAME} in the development configuration; nginx's own variables are lowercase.
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
INSTALL_HINT = (
    "nginx is not installed: sudo apt-get install nginx (Debian/Ubuntu) "
    "or brew install nginx (macOS)"
)


class GatewayError(Exception):
    """A problem this script explains in one line."""


def find_nginx() -> str | None:
    # Debian installs nginx in /usr/sbin, which is not on every user's PATH.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def fill_in(template: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise GatewayError(f"set {name} in the environment (the Procfile sets it)")
        return values[name]

    return PLACEHOLDER.sub(value, template)


def trusted_networks(proxies: str) -> list[str]:
    """The networks in GATEWAY_TRUSTED_PROXIES (addresses, or networks such as
    10.0.0.0/8, separated by commas or spaces), each as address/prefix."""
    networks = []
    for proxy in proxies.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(proxy, strict=False)))
        except ValueError:
            raise GatewayError(
                f"GATEWAY_TRUSTED_PROXIES has '{proxy}'; expected IP addresses or networks "
                "such as 10.0.0.0/8, separated by commas"
            ) from None
    return networks


def trusted_proxies_configuration(networks: list[str]) -> str:
    """trusted-proxies.conf trusting `networks`: each twice, as production's explains."""
    lines = [f"# Written by run.py from GATEWAY_TRUSTED_PROXIES: see {TRUSTED_PROXIES_FILE}."]
    lines += [f"set_real_ip_from {network};" for network in networks]
    lines += ["geo $realip_remote_addr $from_trusted_proxy {", "    default 0;"]
    lines += [f"    {network} 1;" for network in networks]
    return "\n".join([*lines, "}", ""])


def settings(environ: Mapping[str, str], run_dir: Path) -> dict[str, str]:
    """The values of the placeholders: the environment, and what derives from it."""
    cache = environ.get("GATEWAY_AUTH_CACHE_SECONDS", "0")
    if not cache.isdigit():
        raise GatewayError(f"GATEWAY_AUTH_CACHE_SECONDS is '{cache}'; expected whole seconds")
    return {
        **environ,
        "PORT": environ.get("PORT", "8000"),
        "RUN_DIR": str(run_dir),
        "AUTH_CACHE_SECONDS": str(max(int(cache), 1)),
        "AUTH_CACHE_BYPASS": "0" if int(cache) else "1",
        "TRUSTED_NETWORKS": " ".join(trusted_networks(environ.get("GATEWAY_TRUSTED_PROXIES", ""))),
        # Started as root (a container, CI), nginx would run its workers as `nobody`,
        # who cannot read a run directory private to root: keep them as root.
        "USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
    }


def write_configuration(run_dir: Path, values: Mapping[str, str]) -> Path:
    """The development configuration in `run_dir`; returns the main file."""
    (run_dir / "gateway").mkdir(parents=True, exist_ok=True)
    for name in INCLUDED_FILES:
        shutil.copyfile(GATEWAY_DIR / name, run_dir / "gateway" / name)
    trusted = trusted_proxies_configuration(values["TRUSTED_NETWORKS"].split())
    (run_dir / "gateway" / TRUSTED_PROXIES_FILE).write_text(trusted)
    upstreams = fill_in((GATEWAY_DIR / "upstreams.dev.conf").read_text(), values)
    (run_dir / "upstreams.conf").write_text(upstreams)
    main = run_dir / "nginx.conf"
    main.write_text(fill_in((GATEWAY_DIR / "nginx.dev.conf").read_text(), values))
    return main


def main() -> int:
    nginx = find_nginx()
    if nginx is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    run_dir = Path(os.environ.get("GATEWAY_RUN_DIR") or GATEWAY_DIR / "run").resolve()
    try:
        values = settings(os.environ, run_dir)
        config = write_configuration(run_dir, values)
    except GatewayError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 1
    print(f"gateway: http://127.0.0.1:{values['PORT']}", flush=True)
    # nginx takes this process's place, so that the signals of honcho (or Ctrl-C) reach it.
    os.execv(nginx, [nginx, "-p", str(run_dir), "-c", str(config), "-e", "stderr"])  # noqa: S606


if __name__ == "__main__":
    sys.exit(main())
