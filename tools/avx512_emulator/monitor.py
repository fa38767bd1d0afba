#!/usr/bin/env python3
"""monitor.py - start bochs, stream the guest program's output, report the result.

Used by run.sh; not meant to be called by hand.

    monitor.py --rundir DIR --timeout SECONDS [--verbose] [--timestamps] -- BOCHS_CMD...

Bochs writes the guest's serial console to DIR/serial.txt (com1 mode=file).
This script follows that file, hides the boot messages (unless --verbose),
prints everything between the @@START@@ and @@GUEST-TIME ...@@ markers that
guest_init.c writes, and exits with

    the guest program's exit code          (@@EXIT n@@)
    128 + signal number                    (@@SIGNAL n@@)
    125                                    emulator failure, kernel panic, timeout

Timings (boot, run, shutdown) go to stderr.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

EMU_FAIL = 125
TAG = "[avx512-emu]"


def log(msg):
    print(f"{TAG} {msg}", file=sys.stderr, flush=True)


def tail_file(path, n_lines):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n_lines:])
    except OSError:
        return "(missing)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rundir", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--timestamps", action="store_true")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd

    serial = os.path.join(args.rundir, "serial.txt")
    bochs_out = open(os.path.join(args.rundir, "bochs.out"), "wb")
    env = dict(os.environ, TERM="vt100")
    t_launch = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=args.rundir, stdin=subprocess.DEVNULL, stdout=bochs_out,
        stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def kill_bochs():
        # bochs ignores SIGTERM; it has nothing left to save, so SIGKILL it
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def on_signal(signo, _frame):
        kill_bochs()
        log(f"interrupted by signal {signo}")
        sys.exit(EMU_FAIL)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    state = "boot"          # boot -> run -> done
    t_start = t_end = None
    result = None           # exit code to return
    failure = None          # text describing an emulator failure
    pos = 0
    pending = b""
    out = sys.stdout

    def handle_line(line):
        nonlocal state, t_start, t_end, result, failure
        text = line.decode("utf-8", "replace").rstrip("\r")
        if state == "boot":
            if text == "@@START@@":
                state = "run"
                t_start = time.monotonic()
                log(f"guest booted in {t_start - t_launch:.1f} s, running program")
            elif args.verbose:
                print(f"{TAG} boot| {text}", file=sys.stderr, flush=True)
        elif state == "run":
            m = re.match(r"^@@GUEST-TIME ([0-9.]+)@@$", text)
            if m:
                # guest_init.c starts its markers with "\n": one held-back
                # blank line is that newline, not program output
                held[0] = max(0, held[0] - 1)
                flush_held()
                t_end = time.monotonic()
                return
            m = re.match(r"^@@(EXIT|SIGNAL) (\d+)@@$", text)
            if m:
                if t_end is None:
                    t_end = time.monotonic()
                state = "done"
                n = int(m.group(2))
                if m.group(1) == "EXIT":
                    result = n
                    log(f"program exited with code {n}")
                else:
                    result = 128 + n
                    log(f"program killed by signal {n}"
                        + (" (SIGILL: instruction not supported?)" if n == 4 else ""))
                return
            m = re.match(r"^@@EMU-(ERROR|WARNING) (.*)@@$", text)
            if m:
                log(f"guest init: {m.group(2)}")
                return
            if t_end is not None:
                return
            if text == "":
                held[0] += 1    # maybe the newline before a marker; decide later
                return
            flush_held()
            emit(text)
        if "Kernel panic - not syncing" in text and failure is None:
            failure = f"guest kernel panic: {text.strip()}"

    held = [0]

    def flush_held():
        while held[0]:
            held[0] -= 1
            emit("")

    def emit(text):
        if args.timestamps:
            out.write(f"[{time.monotonic() - t_start:8.2f}s] {text}\n")
        else:
            out.write(text + "\n")
        out.flush()

    deadline = t_launch + args.timeout
    while True:
        try:
            with open(serial, "rb") as f:
                f.seek(pos)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            pos += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                handle_line(line)
        if state == "done" or failure:
            break
        if proc.poll() is not None:
            # bochs ended; read what is left once more
            time.sleep(0.2)
            with open(serial, "rb") if os.path.exists(serial) else open(os.devnull, "rb") as f:
                f.seek(pos)
                rest = pending + f.read()
            for line in rest.split(b"\n"):
                handle_line(line)
            if state != "done":
                failure = f"bochs exited (code {proc.returncode}) before the program finished"
            break
        if time.monotonic() > deadline:
            failure = (f"timeout after {args.timeout:.0f} s "
                       f"({'still booting' if state == 'boot' else 'program still running'})")
            break
        time.sleep(0.1)

    if failure:
        if state == "run" and pending:
            out.write(pending.decode("utf-8", "replace") + "\n")
        kill_bochs()
        log(failure)
        log("last serial console lines:\n" + tail_file(serial, 25))
        log("last bochs log lines:\n" + tail_file(os.path.join(args.rundir, "bochs.log"), 10))
        return EMU_FAIL

    # The guest powers itself off after the marker; give it a moment.
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_bochs()
    t_off = time.monotonic()
    log(f"timing: boot {t_start - t_launch:.1f} s, run {t_end - t_start:.1f} s, "
        f"power-off {t_off - t_end:.1f} s, total {t_off - t_launch:.1f} s (wall clock)")
    return result


if __name__ == "__main__":
    sys.exit(main())
