#!/usr/bin/env python3
"""Rebuild Valley's built-in corpora: names.txt and prose.txt.

Provenance and licences are described in LICENSE-corpora.md (same folder).

Requirements
------------
* Python 3 (tested with 3.11.7), standard library only, plus
* the PyPI package ``rdata`` (tested with 1.1.0), used only to decode the
  R serialization format that the Jane Austen texts are stored in.

Inputs (both fetched with the ordinary package clients; the script checks
their SHA-256 and refuses anything else):

* ``names-0.3.0.tar.gz`` -- PyPI sdist of ``names`` 0.3.0 (MIT, Trey Hunner),
  which ships the US Census Bureau 1990 first-name files::

      pip download --no-deps --no-binary :all: names==0.3.0 -d SRC

* ``r-cran-janeaustenr_1.0.0-1_all.deb`` -- Debian 12 (bookworm) package of
  the CRAN package janeaustenr 1.0.0 (MIT, Julia Silge), which ships the
  Project Gutenberg texts of Jane Austen's novels::

      (cd SRC && apt-get download r-cran-janeaustenr=1.0.0-1)

Usage
-----
::

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install rdata==1.1.0
    /tmp/venv/bin/python make_corpora.py SRC [OUTDIR]

OUTDIR defaults to the folder this script is in. The output is byte-for-byte
deterministic.
"""

import gzip
import hashlib
import io
import os
import random
import re
import struct
import sys
import tarfile
import zlib

NAMES_SDIST = "names-0.3.0.tar.gz"
NAMES_SDIST_SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
NAMES_FILES = ("names-0.3.0/names/dist.male.first", "names-0.3.0/names/dist.female.first")
NAMES_SEED = 20240101  # fixed shuffle seed

AUSTEN_DEB = "r-cran-janeaustenr_1.0.0-1_all.deb"
AUSTEN_DEB_SHA256 = "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"
AUSTEN_DATA = "./usr/lib/R/site-library/janeaustenr/data/Rdata"
AUSTEN_BOOK = "prideprejudice"
PROSE_LAST_CHAPTER = 5  # keep chapters 1..5 of Pride and Prejudice (~29 KB)


def read_checked(path, sha256):
    data = open(path, "rb").read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        sys.exit(f"{path}: sha256 {got}, expected {sha256}")
    return data


# ---------------------------------------------------------------- names.txt

def make_names(src):
    sdist = read_checked(os.path.join(src, NAMES_SDIST), NAMES_SDIST_SHA256)
    names = set()
    with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as tar:
        for member in NAMES_FILES:
            text = tar.extractfile(member).read().decode("ascii")
            for line in text.splitlines():
                if not line.strip():
                    continue
                # columns: NAME  frequency%  cumulative%  rank
                name = line.split()[0].lower()
                assert re.fullmatch(r"[a-z]+", name), name
                names.add(name)
    ordered = sorted(names)
    random.Random(NAMES_SEED).shuffle(ordered)
    return "".join(n + "\n" for n in ordered)


# ---------------------------------------------------------------- prose.txt

def deb_member(deb, name):
    """Return the contents of file `name` inside a .deb (ar archive)."""
    assert deb[:8] == b"!<arch>\n"
    pos = 8
    while pos < len(deb):
        header = deb[pos:pos + 60]
        fname = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58])
        body = deb[pos + 60:pos + 60 + size]
        if fname.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
                return tar.extractfile(name).read()
        pos += 60 + size + (size & 1)
    raise KeyError(name)


def austen_lines(src):
    """Lines of one novel from janeaustenr's lazy-load database (.rdx/.rdb)."""
    import rdata

    deb = read_checked(os.path.join(src, AUSTEN_DEB), AUSTEN_DEB_SHA256)
    rdx = deb_member(deb, AUSTEN_DATA + ".rdx")
    rdb = deb_member(deb, AUSTEN_DATA + ".rdb")

    def unserialize(raw):
        import warnings
        with warnings.catch_warnings():  # bare serialized objects: "assumed RDS"
            warnings.simplefilter("ignore")
            return rdata.conversion.convert(rdata.parser.parse_data(raw))

    index = unserialize(gzip.decompress(rdx))
    offset, length = (int(x) for x in index["variables"][AUSTEN_BOOK])
    chunk = rdb[offset:offset + length]
    # compressed lazy-load chunk: 4-byte big-endian raw length + zlib stream
    (raw_len,) = struct.unpack(">I", chunk[:4])
    raw = zlib.decompress(chunk[4:])
    assert len(raw) == raw_len
    return [str(s) for s in unserialize(raw)]


def normalise(text):
    # The source is already ASCII; these are safety nets for other inputs.
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2014", "--"), ("\u2013", "-"), ("\u00a0", " ")):
        text = text.replace(a, b)
    text = text.replace("_", "")  # Gutenberg italics markers: _word_ -> word
    return re.sub(r"[ \t]+", " ", text).strip()


def make_prose(src):
    lines = austen_lines(src)
    # group hard-wrapped lines into paragraphs (split at blank lines)
    paras, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(normalise(" ".join(cur)))
            cur = []
    # paras[0:2] are the title and "By Jane Austen"; start at "Chapter 1"
    start = paras.index("Chapter 1")
    stop = paras.index(f"Chapter {PROSE_LAST_CHAPTER + 1}")
    out = "\n\n".join(paras[start:stop]) + "\n"
    assert all(32 <= ord(c) < 127 or c == "\n" for c in out)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    outdir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    for fname, text in (("names.txt", make_names(src)), ("prose.txt", make_prose(src))):
        path = os.path.join(outdir, fname)
        with open(path, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        chars = sorted(set(text))
        print(f"{fname}: {len(text.encode())} bytes, {text.count(chr(10))} lines, "
              f"{len(chars)} distinct chars: {''.join(chars)!r}")


if __name__ == "__main__":
    main()
