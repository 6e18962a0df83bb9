"""Serve a folder with Debian's nginx on 127.0.0.1, run by the current user from a
throwaway config (pid file, temp paths and error log in a temporary folder).

    with serve(site_dir) as (base, proc): ...   # base = "http://127.0.0.1:<port>"
    python bench/nginx.py DIR              # serve DIR until Ctrl-C

One worker process: the machine's two cores are shared with the crawler being measured,
and one nginx worker with sendfile serves static files far faster than any crawler here
fetches them (it spends about a tenth of a core at 300 pages/s).
"""
from __future__ import annotations

import argparse
import contextlib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, wait_for_port  # noqa: E402

CONF = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; application/xml xml; text/plain txt; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        raise RuntimeError("nginx is not installed: `make bench` installs Debian's package (apt-get install nginx)")
    return found


def _user_line(root: Path) -> str:
    """Started as root, nginx hands its workers to `nobody`, who cannot read a site under
    /root/.cache: they run as the site's owner instead."""
    if os.geteuid() != 0:
        return ""
    st = Path(root).stat()
    return f"user {pwd.getpwuid(st.st_uid).pw_name} {grp.getgrgid(st.st_gid).gr_name};\n"


@contextlib.contextmanager
def serve(root: Path, port: int | None = None):
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(CONF.format(tmp=tmp, port=port, root=Path(root).resolve(), user=_user_line(root)))
        # -e: the compiled-in error log (/var/log/nginx) is not ours to write before the config is read
        proc = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", tmp, "-e", f"{tmp}/error.log"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            try:
                wait_for_port(port, proc)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {proc.stderr.read().decode(errors='replace')[-2000:]}") from exc
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()   # SIGTERM: nginx's fast shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", type=Path)
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    with serve(args.root, args.port) as (base, _):
        print(f"serving {args.root} at {base} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
