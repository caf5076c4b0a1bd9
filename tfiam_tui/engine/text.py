"""Input on a terminal and in a suggested command: the shared leaf every front prints through.

A path or a value from the command line, an answers file or AWS can hold ESC sequences
(which recolour, move the cursor or retitle the terminal), other C0/C1 controls, a newline
that forges an output line, or bytes that are not UTF-8.  :func:`shown` makes such a value
safe to print, escaping the way ``repr`` does and leaving ordinary Unicode readable;
:func:`shell_quote` and :func:`command` make a suggested command safe to paste.
"""

from __future__ import annotations

import shlex

# Lone surrogates U+DC80..U+DCFF are the bytes of argv or a file name that were not UTF-8
# (Python's surrogateescape); printing one raises UnicodeEncodeError.  Shown as that byte.
_SURROGATE_BYTES = range(0xDC80, 0xDD00)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code in _SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _safe(ch: str, keep: str) -> bool:
    return ch in keep or ch.isprintable()  # surrogates are not printable


def _bytes(ch: str) -> bytes:
    code = ord(ch)
    if code in _SURROGATE_BYTES:
        return bytes([code - 0xDC00])
    return ch.encode("utf-8", "surrogatepass")


def shown(value: object) -> str:
    """``value`` for one line of output: every control character (C0, DEL, C1, ESC), line or
    paragraph separator, format character (bidi overrides) and undecodable byte escaped as
    ``\\x1b``, ``\\n``, ``\\u202e``; everything else (``é``, ``✓``, ``名``) as it is."""
    text = str(value)
    if all(_safe(ch, "") for ch in text):
        return text
    return "".join(ch if _safe(ch, "") else _escape(ch) for ch in text)


def shown_lines(text: str) -> str:
    """Like :func:`shown`, but line breaks and tabs stay: for whole messages, as the last
    guard before the terminal (values inside should already be :func:`shown`)."""
    if all(_safe(ch, "\n\t") for ch in text):
        return text
    return "".join(ch if _safe(ch, "\n\t") else _escape(ch) for ch in text)


def shell_quote(value: object) -> str:
    """One shell word that means exactly ``value`` when pasted into bash, zsh or ksh.

    Printable text: :func:`shlex.quote` (``'...'``, so ``$(...)``, backticks and globs stay
    text).  Text with control characters: ANSI-C quoting (``$'...\\x1b...'``), so no raw
    control byte reaches the terminal and the pasted word is still the same bytes."""
    text = str(value)
    if all(_safe(ch, "") for ch in text):
        return shlex.quote(text)
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif _safe(ch, ""):
            out.append(ch)
        else:
            out.extend(f"\\x{b:02x}" for b in _bytes(ch))
    return "$'" + "".join(out) + "'"


def command(*words: object) -> str:
    """A command line to suggest: every word :func:`shell_quote`-d (``FILE``-style
    placeholders are plain words and stay as they are)."""
    return " ".join(shell_quote(word) for word in words)
