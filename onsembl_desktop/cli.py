"""``onsembl``: the desktop app, its headless mode, and its command-line tools."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .logs import setup_logging
from .paths import default_data_dir, ensure_data_dir


def _data_dir_arg(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        # SUPPRESS below the top: when a subcommand is not given it, the value from before the
        # subcommand (or the default) stays.
        default=default_data_dir() if top else argparse.SUPPRESS,
        help="where Onsembl keeps its database, tokens and logs "
        "(default: $ONSEMBL_DATA_DIR or the platform's user data dir)",
    )


def _data_dir_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand, however deep, ``--data-dir`` (``onsembl ctl agents --data-dir D``
    as well as ``onsembl --data-dir D ctl agents``), unless it has its own already."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # (aliases repeat a parser)
                if not any("--data-dir" in a.option_strings for a in child._actions):
                    _data_dir_arg(child)
                _data_dir_everywhere(child)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="onsembl", description="Onsembl Desktop: run and supervise many AI coding agents."
    )
    _data_dir_arg(p, top=True)
    p.add_argument(
        "--host", help="address the agent gateway listens on (default 127.0.0.1, or Settings)"
    )
    p.add_argument(
        "--port", type=int, help="gateway port (default 8765, or Settings; 0: pick a free one)"
    )
    security = p.add_mutually_exclusive_group()
    security.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// even on a loopback address (any other address gets TLS anyway)",
    )
    security.add_argument(
        "--insecure",
        action="store_true",
        help="DANGEROUS: on a non-loopback --host, serve plain ws:// without TLS; tokens and "
        "output cross the network in clear text",
    )
    p.add_argument("--headless", action="store_true", help="run without a window")
    p.add_argument(
        "--demo",
        action="store_true",
        help="start three demo agents replaying recorded sessions (data in DATA_DIR/demo)",
    )
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="open the window, save a PNG of it once painted, and exit",
    )
    p.add_argument("--heartbeat", type=float, default=10.0, help=argparse.SUPPRESS)
    # ctl report --format pdf: HTML on stdin printed to FILE by Qt, offscreen (ui/pdf.py).
    p.add_argument("--print-pdf", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    # Benchmarks: latency samples of marked output (gateway.probe).
    p.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds a disconnected agent's running command survives (default 60)",
    )
    p.add_argument("--log-level", default=os.environ.get("ONSEMBL_LOG_LEVEL", "INFO"))
    p.add_argument("--version", action="version", version=f"onsembl {__version__}")
    sub = p.add_subparsers(dest="command")

    token = sub.add_parser(
        "token",
        help="print the agent token (or, with --fingerprint, the TLS certificate's fingerprint)",
    )
    token.add_argument(
        "--fingerprint",
        action="store_true",
        help="print the SHA-256 fingerprint agents pin with `onsembl-agent --fingerprint` "
        "(makes the certificate if the app has none yet)",
    )

    from . import ctl, dbcli, synccli

    ctl.add_parser(sub)
    dbcli.add_parser(sub)
    synccli.add_parser(sub)
    _data_dir_everywhere(p)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed reader is caught, not at the interpreter's exit
        return code
    except BrokenPipeError:
        return stdout_gone()


def stdout_gone() -> int:
    """Whoever read stdout has gone (`onsembl token | head -c 8`): what it did not read is not
    wanted, so stop quietly with status 0, as git does. Stdout goes to devnull so that the
    interpreter's final flush of what is still buffered does not fail again (the Python docs'
    way, under "Note on SIGPIPE" in the signal module)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    data_dir: Path = args.data_dir.expanduser().resolve()
    args.data_dir = data_dir
    if args.print_pdf is not None:
        from .ui import pdf

        return pdf.main(args.print_pdf)
    if args.command == "token":
        if args.fingerprint:
            from .tls import ensure_certificate

            print(ensure_certificate(ensure_data_dir(data_dir)))
            return 0
        from .gateway.auth import agent_token

        print(agent_token(ensure_data_dir(data_dir)))
        return 0
    if args.command == "ctl":
        from . import ctl

        return ctl.run(args)
    if args.command in ("db", "sync"):
        from .cli_common import run

        return run(args, args.command)
    if args.demo:
        data_dir = data_dir / "demo"  # the demo's agents and history stay out of the user's
    try:
        setup_logging(ensure_data_dir(data_dir), args.log_level, to_stderr=args.headless)
    except OSError as exc:  # e.g. a read-only disk: a clear line, not a traceback
        print(
            f"onsembl: cannot use the data folder {data_dir}: {exc.strerror or exc}. It must be "
            "writable (check its permissions, or whether its disk is mounted read-only), or "
            "start with another --data-dir.",
            file=sys.stderr,
        )
        return 1
    from .app import AppConfig

    config = AppConfig(
        data_dir=data_dir,
        host=args.host or "127.0.0.1",
        port=args.port if args.port is not None else (0 if args.demo else 8765),
        heartbeat_interval_s=args.heartbeat,
        grace_s=args.grace,
        tls=args.tls,
        insecure=args.insecure,
        probe_file=args.probe,
    )
    if args.headless:
        if args.demo:
            print("onsembl: --demo needs the window (drop --headless)", file=sys.stderr)
            return 2
        from .app import run_headless

        return run_headless(config)
    from .ui.launch import run_gui

    return run_gui(
        config,
        screenshot=args.screenshot,
        demo=args.demo,
        host_given=args.host is not None,
        port_given=args.port is not None,
    )


if __name__ == "__main__":
    sys.exit(main())
