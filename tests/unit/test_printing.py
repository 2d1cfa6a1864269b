"""The printer's per-user limits (one document in preparation, a rate per minute) and its slot
released whatever happens to the render; the clock is a fake one (no timing)."""

from __future__ import annotations

import pytest

import dialogs.printing
from dialogs.io import PendingDocument
from dialogs.printing import Printer, PrintFailed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_document_in_preparation_per_user() -> None:
    printer = Printer(clock=FakeClock())
    assert printer.admit(1) is None
    refusal = printer.admit(1)
    assert refusal is not None and "encore en préparation" in refusal
    assert printer.admit(2) is None  # another user is not held by the first one
    printer.release(1)
    assert printer.admit(1) is None


def test_at_most_per_minute_documents_in_any_minute() -> None:
    clock = FakeClock()
    printer = Printer(per_minute=3, clock=clock)
    for _ in range(3):
        assert printer.admit(7) is None
        printer.release(7)
        clock.now += 10
    refusal = printer.admit(7)  # 3 in the last 30 s
    assert refusal is not None and "3 récapitulatifs" in refusal and "réessayez dans 30 secondes" in refusal
    clock.now += 29
    assert printer.admit(7) is not None
    clock.now += 1  # the first one is now 60 s old
    assert printer.admit(7) is None


def test_a_slot_never_released_stops_blocking_after_busy_for() -> None:
    clock = FakeClock()
    printer = Printer(busy_for=300.0, clock=clock)
    assert printer.admit(1) is None
    clock.now += 299
    assert printer.admit(1) is not None
    clock.now += 1
    assert printer.admit(1) is None


async def test_render_releases_the_slot_when_the_render_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str) -> bytes:
        raise ValueError(html)

    monkeypatch.setattr(dialogs.printing, "render_pdf", broken)
    printer = Printer(workers=0)
    try:
        assert printer.admit(1) is None
        with pytest.raises(PrintFailed):
            await printer.render(1, PendingDocument(html="<p>x</p>", file_name="x.pdf"))
        assert not printer.busy(1)
    finally:
        printer.close()


async def test_render_makes_a_pdf_in_a_thread() -> None:
    printer = Printer(workers=0)
    try:
        assert printer.admit(1) is None
        document = await printer.render(1, PendingDocument(html="<p>Bonjour</p>", file_name="r.pdf"))
        assert document.content.startswith(b"%PDF") and document.file_name == "r.pdf"
        assert document.mime_type == "application/pdf" and not printer.busy(1)
    finally:
        printer.close()


async def test_a_dead_worker_is_replaced_for_the_next_document() -> None:
    from concurrent.futures import Future, ThreadPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    class DeadPool(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            future: Future[bytes] = Future()
            future.set_exception(BrokenProcessPool("a process in the pool was terminated abruptly"))
            return future

    printer = Printer(workers=0)
    dead = DeadPool(max_workers=1)
    printer._executor = dead
    try:
        assert printer.admit(1) is None
        with pytest.raises(PrintFailed):
            await printer.render(1, PendingDocument(html="<p>x</p>", file_name="x.pdf"))
        assert not printer.busy(1) and printer._executor is None  # the dead pool is dropped
        assert printer.admit(1) is None
        document = await printer.render(1, PendingDocument(html="<p>x</p>", file_name="x.pdf"))
        assert document.content.startswith(b"%PDF")
    finally:
        printer.close()


_HOLDER = """
import sys, time
from dialogs.printing import Printer

if __name__ == "__main__":
    printer = Printer(workers=1)
    printer.start()
    executor = printer._pool()
    while not executor._processes:  # the worker is being spawned
        time.sleep(0.01)
    print(*executor._processes, flush=True)
    time.sleep(600)  # killed by the test long before
"""


def test_the_worker_ends_when_the_bots_process_is_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A SIGKILLed bot (the crash tests kill it 50 times) leaves no print worker behind."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "holder.py"
    script.write_text(_HOLDER)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    holder = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None
        worker = int(holder.stdout.readline().split()[0])
        os.kill(worker, 0)  # alive
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 30  # a bound on the wait, not a pause
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"print worker {worker} outlived its parent")
