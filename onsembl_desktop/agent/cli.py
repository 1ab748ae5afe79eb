"""``onsembl-agent``: run one agent (a shell or an AI CLI) and connect it to the Onsembl app."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from ..launcher import FATAL_EXIT, agent_command
from ..paths import AGENT_TOKEN_FILE, default_data_dir, read_endpoint
from ..protocol.enums import AgentType, ControlAction
from ..protocol.messages import AGENT_NAME_RULE, is_agent_name
from ..tls import is_loopback, normalize_fingerprint
from .client import AgentClient, ClientOptions, FatalAgentError
from .executor import AgentSettings

log = logging.getLogger("onsembl.agent")


class ConfigError(Exception):
    """A start-up error in the agent's configuration: reported, exit status 2 (not retried)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="onsembl-agent",
        description="Run an AI coding agent (or a shell) and connect it to Onsembl Desktop.",
    )
    p.add_argument(
        "--server",
        help="app address, e.g. ws://127.0.0.1:8765 (default: the local app's, from its data dir)",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("ONSEMBL_TOKEN"),
        help="agent token (`onsembl token`; default: $ONSEMBL_TOKEN or the local app's)",
    )
    p.add_argument(
        "--fingerprint",
        default=None,
        metavar="HEX",
        help="for a wss:// server: the SHA-256 fingerprint of its certificate, as "
        "`onsembl token --fingerprint` prints it; the connection is refused (and the token "
        "never sent) if the server presents another (default for wss://: "
        "$ONSEMBL_FINGERPRINT)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="the local app's data dir, to find its address "
        "and token when --server/--token are not given",
    )
    p.add_argument(
        "--type",
        default="shell",
        choices=[t.value.lower() for t in AgentType],
        help="which CLI this agent runs (default: shell)",
    )
    p.add_argument(
        "--name", required=True, type=_agent_name, help="the agent's name in the app, e.g. claude-1"
    )
    p.add_argument(
        "--cwd",
        default=str(Path.cwd()),
        help="working directory for commands (default: the current directory)",
    )
    p.add_argument("--cli", help="path of the CLI binary (default: found on PATH)")
    p.add_argument(
        "--cli-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for the CLI (repeatable)",
    )
    p.add_argument(
        "--interactive",
        action="store_true",
        help="run the CLI's own full-screen interface in a terminal: each command the app "
        "sends opens one such session, which lasts until the program exits",
    )
    p.add_argument("--cols", type=int, default=120, help="terminal width for commands")
    p.add_argument("--rows", type=int, default=40, help="terminal height for commands")
    # Reconnect backoff bounds in seconds (hidden: for tests, which restart the app and want the
    # agent back at once).
    p.add_argument("--reconnect-initial", type=float, default=0.5, help=argparse.SUPPRESS)
    p.add_argument("--reconnect-max", type=float, default=30.0, help=argparse.SUPPRESS)
    # Bound of the resume buffer in MB, past which output is held back (hidden: tests use a
    # small one to see the back-pressure act).
    p.add_argument("--buffer-max-mb", type=float, default=256.0, help=argparse.SUPPRESS)
    # Tests: append every acknowledged message (seq, type, command, digest) to this file.
    p.add_argument("--ack-log", help=argparse.SUPPRESS)
    p.add_argument("--log-level", default=os.environ.get("ONSEMBL_LOG_LEVEL", "INFO"))
    p.add_argument("--version", action="version", version=f"onsembl-agent {__version__}")
    return p


def _agent_name(text: str) -> str:
    if not is_agent_name(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid name ({AGENT_NAME_RULE})")
    return text


def _resolve_server(args: argparse.Namespace) -> tuple[str, str]:
    """The app's agent URL and the token. No running app to be found is ``SystemExit`` (status 1:
    it may not be up yet, so a supervisor that retries is right to); a mistake in the arguments
    is :class:`ConfigError`."""
    data_dir = args.data_dir or default_data_dir()
    server = args.server
    if not server:
        endpoint = read_endpoint(data_dir)
        if endpoint is None:
            raise SystemExit(
                f"onsembl-agent: no --server given and no running app found in {data_dir} "
                "(start `onsembl`, or pass --server ws://HOST:PORT)"
            )
        server = str(endpoint["url"])
        if endpoint.get("fingerprint") and not args.fingerprint:
            args.fingerprint = str(endpoint["fingerprint"])
    token = args.token
    if not token:
        try:
            token = (data_dir / AGENT_TOKEN_FILE).read_text().strip()
        except OSError:
            raise ConfigError(
                "no --token given (run `onsembl token` on the app's machine)"
            ) from None
    if not server.rstrip("/").endswith("/ws/agent"):
        server = server.rstrip("/") + "/ws/agent"
    _check_transport(server, args)
    return server, token


def _check_transport(server: str, args: argparse.Namespace) -> None:
    """A pin needs TLS; a token sent over the network in clear text deserves a warning."""
    parsed = urlsplit(server)
    if not args.fingerprint and parsed.scheme == "wss":
        args.fingerprint = os.environ.get("ONSEMBL_FINGERPRINT") or None
    if args.fingerprint:
        if parsed.scheme != "wss":
            raise ConfigError("--fingerprint needs a wss:// server")
        try:
            normalize_fingerprint(args.fingerprint)
        except ValueError as exc:
            raise ConfigError(f"--fingerprint: {exc}") from None
    elif parsed.scheme == "ws" and not is_loopback(parsed.hostname or ""):
        print(
            f"onsembl-agent: WARNING: {parsed.hostname} is reached without TLS: the token and "
            "all output cross the network in clear text",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format=f"%(asctime)s {args.name} %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("onsembl.agent.ws").setLevel(logging.WARNING)  # (handshake details)
    cwd = Path(args.cwd).expanduser()
    if not cwd.is_dir():
        print(f"onsembl-agent: --cwd {args.cwd} is not a directory", file=sys.stderr)
        return FATAL_EXIT
    if args.type == AgentType.ACP.value.lower():
        if not args.cli:
            print(
                "onsembl-agent: --type acp needs --cli COMMAND: the program that speaks ACP on "
                "stdio (e.g. --cli gemini --cli-arg --acp, or --cli "
                "claude-code-acp)",
                file=sys.stderr,
            )
            return FATAL_EXIT
        if args.interactive:
            print("onsembl-agent: an ACP agent cannot run --interactive", file=sys.stderr)
            return FATAL_EXIT
    try:
        server, token = _resolve_server(args)
    except ConfigError as exc:
        print(f"onsembl-agent: {exc}", file=sys.stderr)
        return FATAL_EXIT
    settings = AgentSettings(
        agent_type=AgentType(args.type.upper()),
        cwd=str(cwd.resolve()),
        cli=args.cli,
        cli_args=list(args.cli_arg),
        cols=args.cols,
        rows=args.rows,
        interactive=args.interactive,
    )
    options = ClientOptions(
        server=server,
        token=token,
        name=args.name,
        backoff_initial_s=args.reconnect_initial,
        backoff_max_s=max(args.reconnect_max, args.reconnect_initial),
        buffer_max_bytes=max(1, int(args.buffer_max_mb * 1024 * 1024)),
        fingerprint=args.fingerprint or None,
        ack_log=args.ack_log,
    )
    try:
        action = asyncio.run(_run(options, settings))
    except FatalAgentError as exc:
        print(f"onsembl-agent: {exc}", file=sys.stderr)
        return FATAL_EXIT
    except KeyboardInterrupt:
        return 130
    if action is ControlAction.RESTART:
        log.info("restarting")
        # The launcher's argv, not sys.executable: in a frozen bundle that is no interpreter.
        cmd = agent_command()
        os.execv(cmd[0], [*cmd, *sys.argv[1:]])
    return 0


async def _run(options: ClientOptions, settings: AgentSettings) -> ControlAction | None:
    client = AgentClient(options, settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, client.request_stop)
    return await client.run()


if __name__ == "__main__":
    sys.exit(main())
