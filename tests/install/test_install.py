#!/usr/bin/env python3
"""The installed library is usable from outside the tree.

Installs the build into a scratch folder (meson install --destdir), then
builds tests/install/consumer.c against that copy with nothing but what
`pkg-config --cflags --libs sonolink` says, and runs it.  Fails if a
public header is missing or includes a private one, if the pkg-config file
is missing or wrong, or if the library does not link or work.

Usage: test_install.py BUILD_DIR CONSUMER_C
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd, env=None):
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write("$ %s\n%s%s" % (" ".join(cmd), result.stdout,
                                         result.stderr))
        sys.exit(1)
    return result.stdout


def main():
    build, consumer = sys.argv[1], os.path.abspath(sys.argv[2])
    destdir = tempfile.mkdtemp(prefix="sl-install-")
    try:
        run(["meson", "install", "-C", build, "--destdir", destdir,
             "--no-rebuild", "--quiet"])
        pcs = glob.glob(os.path.join(destdir, "**", "sonolink.pc"),
                        recursive=True)
        if not pcs:
            sys.exit("no sonolink.pc was installed")
        libs = glob.glob(os.path.join(destdir, "**", "libsonolink.so*"),
                         recursive=True)
        if not libs:
            sys.exit("no libsonolink.so was installed")
        # The copy lives under destdir, not at the prefix the .pc names:
        # a copy of the .pc with its prefix moved there (other packages'
        # .pc files stay as they are).
        pcdir = os.path.join(destdir, "pc")
        os.makedirs(pcdir)
        with open(pcs[0]) as f:
            lines = f.read().splitlines()
        with open(os.path.join(pcdir, "sonolink.pc"), "w") as f:
            for line in lines:
                if line.startswith("prefix="):
                    line = "prefix=" + destdir + line[len("prefix="):]
                f.write(line + "\n")
        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = pcdir
        flags = run(["pkg-config", "--cflags", "--libs", "sonolink"],
                    env).split()
        exe = os.path.join(destdir, "consumer")
        cc = os.environ.get("CC", "cc")
        run([cc, "-std=gnu11", "-Wall", "-Werror", consumer, "-o", exe]
            + flags)
        env["LD_LIBRARY_PATH"] = os.path.dirname(libs[0])
        out = run([exe], env)
        if out.strip() != "ok":
            sys.exit("the consumer said %r" % out)
        print("installed headers, sonolink.pc and libsonolink work from "
              "outside the tree")
    finally:
        shutil.rmtree(destdir, ignore_errors=True)


if __name__ == "__main__":
    main()
