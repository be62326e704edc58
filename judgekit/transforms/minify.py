"""Minification that provably keeps the program: Python by its AST, C++/Go/Java/JavaScript/Rust by tree-sitter.

Python: parse, drop docstrings (a body that is only a docstring keeps it), ``ast.unparse`` (which also drops
comments and blank lines), then re-emit the tokens with one-space indentation and a space only where two
tokens would otherwise merge. The result is parsed again and compared with the input's AST; on any
difference the block is reported as not minifiable instead of being changed.

Other languages: the tree-sitter tokens (comments left out, literals whole) joined with a space only where two
tokens would merge, and a line break only where the language needs one; the result must parse to the same
syntax tree (`codelang.same_program`), else `CodeError`.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import warnings

from judgekit.transforms.codelang import (  # noqa: F401  (canonical, strip_docstrings: public here too)
    CodeError,
    canonical,
    error_count,
    is_atomic,
    is_comment,
    normalise_macro,
    parse,
    same_program,
    strip_docstrings,
)

_OPERATORS = {
    "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "@=", ":=", "**=", "//=", "<<=", ">>=", "...",
}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def _needs_space(previous: tokenize.TokenInfo, current: tokenize.TokenInfo) -> bool:
    left, right = previous.string, current.string
    if not left or not right:
        return False
    if (left[-1].isalnum() or left[-1] == "_") and (right[0].isalnum() or right[0] == "_"):
        return True
    if previous.type == tokenize.NAME and current.type == tokenize.STRING:
        return True  # never glue a name onto a string (it could read as a prefix)
    if previous.type == tokenize.NUMBER and right[0] == ".":
        return True  # 1 .real
    if right[0] == "." and left[-1] == ".":
        return True
    if previous.type == tokenize.OP and current.type == tokenize.OP:
        joined = left + right
        seam = len(left)
        for size in (2, 3):
            for start in range(max(0, seam - size + 1), seam):
                if joined[start:start + size] in _OPERATORS:
                    return True
    if keyword.iskeyword(left) and right[0] in "\"'":
        return False
    return False


def _offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _squeeze(source: str) -> str:
    """Re-emit tokens with one-space indentation and no optional spaces."""
    offsets = _offsets(source)
    out: list[str] = []
    level = 0
    at_line_start = True
    previous: tokenize.TokenInfo | None = None
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        kind = token.type
        if kind in (tokenize.ENCODING, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
            continue
        if kind == tokenize.NEWLINE:
            out.append("\n")
            at_line_start, previous = True, None
            continue
        if kind == tokenize.INDENT:
            level += 1
            continue
        if kind == tokenize.DEDENT:
            level -= 1
            continue
        if _FSTRING_START is not None and kind == _FSTRING_START:
            # Python 3.12+: copy the whole f-string verbatim.
            depth, start = 1, token.start
            end = token.end
            for inner in tokens:
                if inner.type == _FSTRING_START:
                    depth += 1
                elif inner.type == _FSTRING_END:
                    depth -= 1
                    if depth == 0:
                        end = inner.end
                        break
            text = source[offsets[start[0] - 1] + start[1]:offsets[end[0] - 1] + end[1]]
            token = tokenize.TokenInfo(tokenize.STRING, text, start, end, token.line)
        if at_line_start:
            out.append(" " * level)
            at_line_start = False
        elif previous is not None and _needs_space(previous, token):
            out.append(" ")
        out.append(token.string)
        previous = token
    return "".join(out).rstrip("\n")


def minify_python(source: str) -> str | None:
    """Minified ``source``, or None when it does not parse or minifying would change its AST."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = strip_docstrings(ast.parse(source))
            expected = ast.dump(tree)
            squeezed = _squeeze(ast.unparse(tree))
            if canonical(squeezed) != expected:
                return None
    except (SyntaxError, ValueError, RecursionError, tokenize.TokenError):
        return None
    return squeezed


# -- the other languages: tree-sitter tokens re-joined with as little whitespace as the language allows ----
_WORD = re.compile(r"[\w$]")
_OPERATOR_CHARS = frozenset("+-*/%<>=!&|^~?:.#@")
_QUOTES = frozenset("\"'`")
# Where a line break can change the program: Go and JavaScript insert semicolons at line ends, and a C++
# preprocessor directive ends at the end of its line. Java and Rust code can sit on one line.
_KEEP_NEWLINES = {"go": "all", "javascript": "all", "cpp": "preprocessor", "java": "none", "rust": "none"}


def _needs_gap(left: str, right: str) -> bool:
    a, b = left[-1], right[0]
    if _WORD.match(a) and _WORD.match(b):
        return True
    if a in _OPERATOR_CHARS and b in _OPERATOR_CHARS:
        return True  # never glue operators into a longer one (a - -b, > >, / /)
    if (a.isdigit() and b == ".") or (a == "." and b.isdigit()):
        return True
    return (_WORD.match(a) is not None and b in _QUOTES) or (a in _QUOTES and _WORD.match(b) is not None)


def _tokens(code: str, language: str) -> list[tuple[int, int, bool, str]]:
    """(start byte, end byte, inside a preprocessor directive, node type) of every token, comments left out."""
    source = code.encode("utf-8")
    tokens: list[tuple[int, int, bool, str]] = []
    stack = [(parse(code, language).root_node, False)]
    while stack:
        node, preprocessor = stack.pop()
        if is_comment(node):
            continue
        preprocessor = preprocessor or node.type.startswith("preproc_")
        if node.child_count == 0 or is_atomic(node, source):
            if node.end_byte > node.start_byte:
                tokens.append((node.start_byte, node.end_byte, preprocessor, node.type))
            continue
        stack.extend((child, preprocessor) for child in reversed(node.children))
    return tokens


def minify_code(code: str, language: str) -> str:
    """``code`` without comments, blank lines or indentation, with the fewest spaces; same syntax tree.

    Raises:
        CodeError: the code does not parse, or (a bug) the result would not parse to the same tree.
    """
    if language == "python":
        minified = minify_python(code)
        if minified is None:
            raise CodeError("python: does not parse, or minifying would change its AST")
        return minified
    errors = error_count(code, language)
    if errors:
        raise CodeError(f"{language}: the original has {errors} syntax error(s); not minified")
    source = code.encode("utf-8")
    keep = _KEEP_NEWLINES[language]
    out: list[str] = []
    previous: tuple[int, int, bool, str] | None = None
    for token in _tokens(code, language):
        text = source[token[0]:token[1]].decode("utf-8")
        macro_body = token[3] == "preproc_arg"  # `#define X (1)` must not become `#define X(1)`
        if macro_body:
            text = normalise_macro(text)
        if previous is not None:
            gap = source[previous[1]:token[0]]
            newline = b"\n" in gap and (keep == "all" or (keep == "preprocessor" and (previous[2] or token[2])))
            if newline:
                out.append("\n")
            elif macro_body or _needs_gap(out[-1], text):
                out.append(" ")
        out.append(text)
        previous = token
    minified = "".join(out)
    if not same_program(code, minified, language):
        raise CodeError(f"{language}: the minified code does not parse to the same syntax tree; left unchanged")
    return minified
