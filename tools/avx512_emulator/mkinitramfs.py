#!/usr/bin/env python3
"""mkinitramfs.py - write an uncompressed newc cpio archive for the AVX-512 emulator.

Usage: mkinitramfs.py OUT.cpio INIT ARGV_FILE [SRC=DEST ...]

  INIT       static executable, stored as /init
  ARGV_FILE  NUL-separated guest argv, stored as /emu/argv
  SRC=DEST   extra files, stored at DEST (absolute guest path, e.g. /work/prog);
             a directory SRC is copied recursively (symlinks are followed)

Device nodes (/dev/console, /dev/null) are written as cpio entries, so no
root rights, mknod or loop mounts are needed on the host.
"""
import os
import stat
import sys

_ino = [1000]


def _entry(out, name, mode, data=b"", rdev=(0, 0)):
    _ino[0] += 1
    name_b = name.encode() + b"\0"
    fields = [
        _ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(name_b), 0,
    ]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out.write(hdr)
    out.write(name_b)
    out.write(b"\0" * ((4 - (len(hdr) + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    out_path, init_path, argv_path = argv[1:4]
    files = []
    for spec in argv[4:]:
        src, sep, dest = spec.partition("=")
        if not sep or not dest.startswith("/"):
            sys.exit("bad file spec (want SRC=/abs/dest): " + spec)
        dest = dest.strip("/")
        if os.path.isdir(src):
            for root, _dirs, names in os.walk(src, followlinks=True):
                rel = os.path.relpath(root, src)
                for name in sorted(names):
                    sub = name if rel == "." else os.path.join(rel, name)
                    files.append((os.path.join(root, name), os.path.join(dest, sub)))
        else:
            files.append((src, dest))

    dirs = {"dev", "proc", "sys", "tmp", "emu", "work", "bin"}
    for _, dest in files:
        parent = os.path.dirname(dest)
        while parent:
            dirs.add(parent)
            parent = os.path.dirname(parent)

    with open(out_path, "wb") as out:
        for d in sorted(dirs):
            _entry(out, d, stat.S_IFDIR | 0o755)
        _entry(out, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
        _entry(out, "dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
        with open(init_path, "rb") as f:
            _entry(out, "init", stat.S_IFREG | 0o755, f.read())
        with open(argv_path, "rb") as f:
            _entry(out, "emu/argv", stat.S_IFREG | 0o644, f.read())
        for src, dest in files:
            st = os.stat(src)
            with open(src, "rb") as f:
                _entry(out, dest, stat.S_IFREG | (st.st_mode & 0o777), f.read())
        _entry(out, "TRAILER!!!", 0)


if __name__ == "__main__":
    main(sys.argv)
