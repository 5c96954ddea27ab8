"""Running the service: `up` (dev server + worker + mail sink + front door), `worker` (against a
configured server) and `serve` (the front door alone, against a configured server)."""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from starter.args import bounded_int
from starter.output import Output

if TYPE_CHECKING:
    import asyncio

    from temporalio.client import Client

    from settings import Settings
    from starter.client import Connection


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "up",
        parents=[common],
        help="start the Temporal dev server (SQLite file), a worker and the local mail sink",
    )
    p.add_argument(
        "--port",
        type=bounded_int(1, 65535, "port"),
        metavar="N",
        help="frontend port (default 7233)",
    )
    p.add_argument(
        "--ui-port",
        type=bounded_int(1, 65535, "port"),
        metavar="N",
        help="Web UI port (default 8233)",
    )
    p.add_argument(
        "--http-port",
        type=bounded_int(1, 65535, "port"),
        metavar="N",
        help="front door (HTTP API) port on 127.0.0.1 (default 8000)",
    )
    p.set_defaults(handler=up_cmd)

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the front door (HTTP API) against TEMPORAL_ADDRESS and DATABASE_URL",
    )
    p.add_argument("--host", metavar="H", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=bounded_int(1, 65535, "port"),
        metavar="N",
        help="port to listen on (default 8000)",
    )
    # `up` runs its front door as `serve --child-of-up`: no access log, no banner of its own.
    p.add_argument("--child-of-up", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=serve_cmd)

    p = sub.add_parser(
        "worker", parents=[common], help="run a worker against the configured Temporal server"
    )
    p.set_defaults(handler=worker_cmd)


def _stop_event() -> asyncio.Event:
    """Set on Ctrl-C or SIGTERM, so everything stops in order."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def up_cmd(args: argparse.Namespace, out: Output) -> int:
    from starter.session import settings_from

    settings = settings_from(args)
    port = args.port or settings.port
    ui_port = args.ui_port or settings.ui_port
    http_port = args.http_port or settings.http_port
    import asyncio

    asyncio.run(_up(settings, port, ui_port, http_port, out))
    return 0


def serve_cmd(args: argparse.Namespace, out: Output) -> int:
    from starter.session import connection_from, settings_from

    settings = settings_from(args)
    connection = connection_from(args, settings)
    host = args.host or settings.http_host
    port = args.port or settings.http_port
    import asyncio

    asyncio.run(_serve_front_door(settings, connection, host, port, out, quiet=args.child_of_up))
    return 0


async def _serve_front_door(
    settings: Settings, connection: Connection, host: str, port: int, out: Output, *, quiet: bool
) -> None:
    """The front door alone; it connects to Temporal on the first request that needs it.
    `quiet` (`up`'s child): warnings only, no access log, nothing said when it starts or stops."""
    from frontdoor.serve import app_for, front_door
    from starter.client import configure_runtime

    configure_runtime("WARN")
    stop = _stop_event()
    level = "warning" if quiet else "info"
    async with front_door(app_for(settings, connection), host, port, log_level=level) as url:
        if not quiet:
            out.note(
                f"front door at {url} (API docs at {url}/docs); Temporal at {connection.address}"
            )
        await stop.wait()
        if not quiet:
            out.note("Stopping the front door ...")


async def _up(settings: Settings, port: int, ui_port: int, http_port: int, out: Output) -> None:
    import asyncio

    from starter.client import configure_runtime

    configure_runtime("WARN")
    from activities.sink import local_mail_sink_unless_smtp
    from starter.datadir import private_umask, secure_data_dir
    from starter.devserver import check_port_free, dev_server, stop_leftover_server
    from starter.devusers import dev_tokens_path, ensure_dev_users
    from starter.frontdoor_child import stop_leftover_front_door

    stop = _stop_event()
    private_umask()
    secure_data_dir(settings)
    settings = settings.model_copy(update={"dev_mode": True})
    await ensure_dev_users(settings)
    for leftover_of in (stop_leftover_front_door, stop_leftover_server):
        leftover = await asyncio.to_thread(leftover_of, settings)
        if leftover:
            out.note(leftover)
    check_port_free(port, "Temporal frontend", "--port")
    check_port_free(http_port, "front door", "--http-port")
    out.note(
        f"Starting the Temporal dev server on localhost:{port} (data in {settings.data_dir}) ..."
    )
    async with (
        dev_server(settings, port, ui_port) as address,
        local_mail_sink_unless_smtp(settings) as sink,
    ):
        mail = (
            f"mail to the local sink {sink} (see `sec-release mail`)"
            if sink
            else f"mail via {settings.smtp_host}"
        )
        banner = [
            f"sec-release is up: Temporal at {address}, Web UI http://localhost:{ui_port}",
            f"  worker on task queue {settings.task_queue}; store {settings.database_url}; {mail}",
            f"  front door http://127.0.0.1:{http_port} (API docs at /docs)",
            f"  dev users dev-secas, dev-panel, ... with tokens in {dev_tokens_path(settings)}",
            "  try: sec-release --as SECAS:You release create 2027-06   (Ctrl-C stops everything)",
        ]
        await _serve(settings, address, stop, out, banner, http_port=http_port)
    out.note("sec-release stopped.")


def worker_cmd(args: argparse.Namespace, out: Output) -> int:
    from starter.session import connection_from, settings_from

    settings = settings_from(args)
    connection = connection_from(args, settings)
    import asyncio

    asyncio.run(_worker(settings, connection.address, out, args))
    return 0


async def _worker(settings: Settings, address: str, out: Output, args: argparse.Namespace) -> None:
    from starter.client import configure_runtime
    from starter.datadir import private_umask, secure_data_dir

    configure_runtime("WARN")
    private_umask()
    secure_data_dir(settings)
    stop = _stop_event()
    await _serve(
        settings,
        address,
        stop,
        out,
        [f"worker on {address}, task queue {settings.task_queue} (Ctrl-C stops it)"],
        args=args,
    )


async def _serve(
    settings: Settings,
    address: str,
    stop: asyncio.Event,
    out: Output,
    banner: list[str],
    args: argparse.Namespace | None = None,
    http_port: int | None = None,
) -> None:
    """Apply the store's migrations, make sure the Panel workflow runs, and run a worker until
    stopped; with `http_port`, the front door on 127.0.0.1 beside it, as a process of its own
    (`up`, `starter.frontdoor_child`), and if that stops on its own, stop and say so."""
    from starter.client import Clock, Connection, ReleaseClient, connect
    from starter.session import connection_from
    from worker import build_worker, production_adapters

    connection = (
        connection_from(args, settings)
        if args is not None
        else Connection(address=address, namespace=settings.temporal_namespace)
    )
    client = await connect(connection)
    await _register_search_attributes(client, out)
    from settings import NoticeDelivery
    from starter.keys import Signer, signing_key, trusted_keys

    async with production_adapters(settings) as (sender, register):
        deployment = ReleaseClient(
            client=client,
            task_queue=settings.task_queue,
            clock=Clock(),
            max_history_events=settings.max_history_events,
            signer=Signer(signing_key(settings)),
        )
        async with (
            build_worker(
                client,
                settings.task_queue,
                sender=sender,
                register=register,
                keys=lambda: trusted_keys(settings),
                max_cached_workflows=settings.max_cached_workflows,
            ),
            contextlib.AsyncExitStack() as http,
        ):
            await deployment.panel()
            if settings.notice_delivery is NoticeDelivery.DIGEST:
                from starter.digest import ensure_digest

                await ensure_digest(client, settings.task_queue, settings.digest_time)
            front_door_exited: asyncio.Task[int] | None = None
            if http_port is not None:
                from starter.frontdoor_child import front_door_process

                front_door_exited = await http.enter_async_context(
                    front_door_process(settings, address, http_port)
                )
            for line in banner:
                out.note(line)
            died = await _until_stopped(stop, front_door_exited)
            if died is not None:
                out.note(f"The front door stopped on its own (exit {died}); stopping everything.")
            out.note("Stopping the worker ...")
    if died is not None:
        from starter.errors import Unavailable

        raise Unavailable(f"The front door stopped on its own (exit {died}); see its error above.")


async def _until_stopped(stop: asyncio.Event, child: asyncio.Task[int] | None) -> int | None:
    """Wait for Ctrl-C / SIGTERM, or for `child` to end; its exit code if it ended first."""
    import asyncio

    stopped = asyncio.create_task(stop.wait())
    waiting: set[asyncio.Task[Any]] = {stopped}
    if child is not None:
        waiting.add(child)
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if child is not None and child.done() and not child.cancelled() and not stop.is_set():
        return child.result()
    return None


async def _register_search_attributes(client: Client, out: Output) -> None:
    """The dev server registers them at start; elsewhere try, and say so if not allowed."""
    from temporalio.service import RPCError

    from starter.client import register_search_attributes

    try:
        await register_search_attributes(client)
    except RPCError as exc:
        out.note(
            f"Note: could not register the search attributes ({exc.message}); `list` and `inbox` "
            "need SecPhase, SecReleaseType, SecGoLive, SecLapsed and SecOwes on the namespace."
        )
