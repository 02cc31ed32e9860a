"""target="cpu"'s tiered first calls: a new derivative runs its generated source in
CPython while Numba compiles the same source in a thread, and Numba's code takes over
when it is ready.

A call made while Numba compiles is a race: CPython computes it in the calling thread,
and whichever comes first gives the result — CPython's answer, or Numba's (the compile
thread then stops the CPython call at its next bytecode, and the call runs Numba's code).
A CPython call still running after BUDGET_S is stopped too, and it and the later calls
wait for Numba: a first call that CPython would take long over (a big loop) costs about
BUDGET_S more than Numba's compile alone, and a small one what CPython takes
(docs/benchmarks.md "First result").

CPython and Numba run the same source, so they agree; where they would not, CPython's
result is not used: an error where Numba gives inf or nan (1.0 / 0.0, math.log(0.0),
math.exp(1000.0)) or a complex value (a negative number to a fractional power) waits for
Numba's result, and NumPy scalars come back as the Python numbers Numba returns.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
import time

import numpy as np

from . import python as python_backend

THREADS: list[threading.Thread] = []  # the compiles (joined at exit: compile.py)
BUDGET_S = 1.0  # a CPython call still running after this waits for Numba instead
SWITCH_S = 0.0005  # the GIL's switch interval while Numba compiles in the background


def in_background(work, name: str) -> threading.Event:
    """work() (a Numba compile) in a thread, joined at exit, with the short GIL switch
    interval; the event is set when it has finished, whether or not it succeeded."""
    done = threading.Event()

    def run():
        try:
            with _fine_switching():
                work()
        except Exception:  # noqa: BLE001, S110 (the first call that needs it compiles again and says why)
            pass
        finally:
            done.set()

    th = threading.Thread(target=run, daemon=True, name=f"s2sad numba {name}")
    THREADS.append(th)
    th.start()
    return done


class _Stop(BaseException):
    """Raised in a thread whose CPython call is no longer wanted (backends/tiered._Job)."""


class _Disagrees(Exception):
    """CPython's result is not what Numba would return (a complex number)."""


class Tiered:
    """A callable that runs `name` from `source` in CPython until Numba has compiled it.
    `compile_numba()` returns Numba's dispatcher; `done(dispatcher or None, seconds)` is
    called from the compile thread when it has finished (None: Numba failed, the
    CPython tier stays)."""

    def __init__(self, name: str, source: str, compile_numba, done):
        self.py_func = python_backend.compile_source(name, source, beside_numba=True)
        self.name = name
        self.dispatcher = None  # Numba's, once compiled
        self.failed = False
        self._compile_numba, self._done = compile_numba, done
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._jobs: list[_Job] = []  # CPython calls running
        self._finished = threading.Event()
        self.error: Exception | None = None  # why Numba failed
        self.slow = False  # a CPython call ran out of its budget: later ones wait for Numba

    def __call__(self, *args):
        if self.dispatcher is not None:
            return self.dispatcher(*args)
        if self.failed:
            return self.py_func(*args)
        self.start(args)
        if self.slow:
            return self._numba(args)
        return self._race(args)

    def _numba(self, args):
        disp = self.wait()
        return disp(*args) if disp is not None else self.py_func(*args)

    def start(self, args: tuple | None) -> None:
        """Compile in a thread (once), for the types of `args` if given."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._compile, args=(args,), daemon=True,
                                            name=f"s2sad numba {self.name}")
            watch = threading.Thread(target=self._watch, daemon=True,
                                     name=f"s2sad budget {self.name}")
        THREADS.append(self._thread)
        self._thread.start()
        watch.start()

    def _watch(self) -> None:
        """Stop the CPython calls that have run for longer than BUDGET_S."""
        while not self._finished.wait(0.02):
            now = time.perf_counter()
            with self._lock:
                late = [j for j in self._jobs if j.started is not None and
                        now - j.started > BUDGET_S]
            for job in late:
                job.stop()

    def wait(self):
        """Numba's dispatcher once compiled (compiling now if no call has started it), or
        None if Numba failed."""
        self.start(None)
        self._finished.wait()
        return self.dispatcher

    def _compile(self, args) -> None:
        with _fine_switching():
            self._compile_here(args)

    def _compile_here(self, args) -> None:
        t0 = time.perf_counter()
        try:
            disp = self._compile_numba()
            if args is not None:
                from numba import typeof  # noqa: PLC0415  (numba, lazily)

                disp.compile(tuple(typeof(a) for a in args))
            self.error = None
        except Exception as e:  # the CPython tier goes on; done() says why
            disp, self.error = None, e
        with self._lock:
            self.dispatcher = disp
            self.failed = disp is None
            jobs, self._jobs = self._jobs, []
        self._finished.set()
        if disp is not None:  # Numba's answer replaces the CPython calls still running
            for job in jobs:
                job.stop()
        self._done(disp, time.perf_counter() - t0)

    def _race(self, args):
        """CPython's result, computed here, or Numba's if Numba is ready first (the
        compile thread then stops this CPython call)."""
        job = _Job(self.py_func, args)
        with self._lock:
            pending = self.dispatcher is None and not self.failed
            if pending:
                self._jobs.append(job)
        if not pending:
            return self(*args)
        job.run()
        with self._lock:
            if job in self._jobs:
                self._jobs.remove(job)
        if job.state == "finished":
            if job.error is None:
                return job.out
            disp = self.wait()  # CPython raised: Numba's answer is the one to give
            if disp is None:
                raise job.error
            return disp(*args)
        if self.dispatcher is None:  # out of budget: Numba's compile alone is quicker
            self.slow = True
        return self._numba(args)


class _Job:
    """One CPython call, run in the calling thread, that another thread can stop (an
    exception raised in this thread at its next bytecode, only while the call runs).

    CPython gives a new thread's state its creator's id until the thread runs, and
    PyThreadState_SetAsyncExc picks the newest state with the id: a stop sent while this
    thread starts a thread can hit that one. So a job is stoppable only from run() on,
    and the generated code it runs starts no thread."""

    def __init__(self, fn, args: tuple):
        self.fn, self.args = fn, args
        self.state = "new"  # new, running, finished, stopped (cancelled before it ran)
        self.out = self.error = None
        self.ident = threading.get_ident()
        self.started: float | None = None  # (perf_counter) when run() began
        self._lock = threading.Lock()

    def stop(self) -> None:
        with self._lock:
            if self.state == "new":
                self.state = "stopped"
            if self.state != "running":
                return
            self.state = "stopped"
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.ident),
                                                       ctypes.py_object(_Stop))

    def run(self) -> None:
        with self._lock:
            if self.state != "new":
                return
            self.state, self.started = "running", time.perf_counter()
        try:
            try:
                with np.errstate(all="ignore"):  # (Numba's code warns of no inf or nan)
                    out, err = _plain(self.fn(*self.args)), None
            except Exception as e:  # (ZeroDivisionError, ValueError, OverflowError, ...)
                out, err = None, e
            with self._lock:
                if self.state == "running":
                    self.out, self.error, self.state = out, err, "finished"
            if self.state == "stopped":  # the stop is on its way: take it here
                _absorb()
        except _Stop:
            pass
        except BaseException:  # KeyboardInterrupt: no stop may reach the caller later
            try:
                with self._lock:
                    stopped, self.state = self.state == "stopped", "finished"
                if stopped:
                    _absorb()
            except _Stop:
                pass
            raise


_switching = [0, None]  # compiles running; the interval to restore


@contextlib.contextmanager
def _fine_switching():
    """A shorter GIL switch interval while Numba compiles in the background: the compile
    thread releases the GIL in every call into LLVM, and at the default 5 ms it waits
    that long to get it back from a busy main thread (measured: GMM d=10's compile
    12.4 s -> 8 s beside its CPython tier)."""
    with _SWITCH_LOCK:
        if _switching[0] == 0:
            _switching[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_S, _switching[1]))
        _switching[0] += 1
    try:
        yield
    finally:
        with _SWITCH_LOCK:
            _switching[0] -= 1
            if _switching[0] == 0:
                sys.setswitchinterval(_switching[1])


_SWITCH_LOCK = threading.Lock()


def _absorb() -> None:
    for _ in range(1000):
        time.sleep(0.001)


def _plain(out):
    """CPython's result as Numba returns it: Python scalars, tuples of them, arrays."""
    if isinstance(out, tuple):
        return tuple(_plain(o) for o in out)
    if isinstance(out, complex | np.complexfloating):
        raise _Disagrees("CPython computed a complex number where Numba gives nan")
    if isinstance(out, np.generic):
        return out.item()
    if isinstance(out, np.ndarray) and out.dtype.kind == "c":
        raise _Disagrees("CPython computed complex numbers where Numba gives nan")
    return out
