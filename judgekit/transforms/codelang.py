"""Source code in six languages (C++, Go, Java, JavaScript, Python, Rust), read with tree-sitter.

The grammars come pre-built in ``tree-sitter-language-pack`` (imported on first use, so rule-based runs that
touch no code never load it). This module finds code in a response (fenced blocks, else an unfenced run of
code lines that parses), tells its language (fence tag, then the item's declared language or subset name,
then the parser), and compares programs: two sources are the same program here when their syntax trees are
equal once comments are left out (`same_program`).
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from judgekit.data.example import Example
from judgekit.transforms.textspans import fenced_blocks

LANGUAGES = ("cpp", "go", "java", "javascript", "python", "rust")
LINE_COMMENT = {"cpp": "//", "go": "//", "java": "//", "javascript": "//", "python": "#", "rust": "//"}

# Fence tags (and other spellings) of the six languages; anything else is normalised but not parsed.
ALIASES = {
    "c++": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp", "h++": "cpp", "cplusplus": "cpp",
    "golang": "go", "js": "javascript", "jsx": "javascript", "mjs": "javascript", "cjs": "javascript",
    "node": "javascript", "nodejs": "javascript", "py": "python", "python3": "python", "py3": "python",
    "rs": "rust", "ts": "typescript", "sh": "bash", "shell": "bash", "csharp": "c#", "cs": "c#",
    "kt": "kotlin", "rb": "ruby",
}
# The language part of a subset name: hep-cpp, hep-js, code-python, humanevalpack-rust, ...
_SUBSET = re.compile(r"(?:^|[-_/:])(cpp|c\+\+|go|golang|java|js|javascript|python|py|rust|rs)$", re.IGNORECASE)
# Strings, characters and regex literals are compared and copied whole: their text is the program.
ATOMIC = frozenset({
    "string_literal", "raw_string_literal", "char_literal", "system_lib_string", "preproc_arg",
    "interpreted_string_literal", "rune_literal", "character_literal", "text_block",
    "string", "template_string", "regex", "string_fragment", "escape_sequence",
})
# A prose line: an unindented sentence, heading, list item or quote (never a line of code).
_PROSE = re.compile(
    r"^(?:#{1,6} |[-*+] |\d+[.)] |> |\*\*)"  # markdown heading, list item, quote, bold lead
    r"|^[A-Z][A-Za-z'’]*(?:[ ,][^;{}=<>]*)?[.:!?]\s*$"  # "Here is the code:", "This sorts the list."
    r"|^[A-Z][a-z]+(?: [a-z]+){2,}"  # "This function returns ..." (three or more plain words)
)


class CodeError(Exception):
    """A code block could not be processed as promised (the item is reported as failed, with this reason)."""


def canonical_language(tag: str) -> str:
    """``"C++"`` -> ``"cpp"``, ``"js"`` -> ``"javascript"``; the first word of a fence info string."""
    words = tag.strip().split()
    word = words[0].lower().lstrip("{.").rstrip("}") if words else ""
    return ALIASES.get(word, word)


def language_from_name(name: str) -> str:
    """The language a subset or field names (``hep-cpp`` -> ``cpp``), or ``""``."""
    match = _SUBSET.search(name.strip())
    return canonical_language(match.group(1)) if match else ""


# language -> the official pre-built grammar package (tree-sitter-<language> on PyPI)
GRAMMARS = {"cpp": "tree_sitter_cpp", "go": "tree_sitter_go", "java": "tree_sitter_java",
            "javascript": "tree_sitter_javascript", "python": "tree_sitter_python", "rust": "tree_sitter_rust"}


@functools.cache
def parser(language: str):
    """A tree-sitter parser for one of `LANGUAGES` (the grammar package of that language)."""
    if language not in LANGUAGES:
        raise CodeError(f"no parser for language {language!r}; supported: {', '.join(LANGUAGES)}")
    import importlib

    from tree_sitter import Language, Parser

    grammar = importlib.import_module(GRAMMARS[language])
    return Parser(Language(grammar.language()))


def parse(code: str, language: str):
    """The tree of ``code``, read as if it ended with a line break (at the end of input tree-sitter-go reads
    ``pkg.F(x)`` as a type conversion, before a line break as a call)."""
    return parser(language).parse((code if code.endswith("\n") else code + "\n").encode("utf-8"))


def error_count(code: str, language: str) -> int:
    """Syntax errors (ERROR and missing nodes) tree-sitter finds in ``code``."""
    root = parse(code, language).root_node
    if not root.has_error:
        return 0
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return count


def parses(code: str, language: str) -> bool:
    return bool(code.strip()) and not parse(code, language).root_node.has_error


def is_comment(node) -> bool:
    return "comment" in node.type


def is_atomic(node, source: bytes) -> bool:
    """Whether ``node`` is copied whole: literals, and any node whose children leave some of its text uncovered
    (tree-sitter leaves the delimiters of e.g. Rust raw strings out of the children)."""
    if node.type in ATOMIC:
        return True
    if node.child_count == 0:
        return False
    position = node.start_byte
    for child in node.children:
        if source[position:child.start_byte].strip():
            return True
        position = child.end_byte
    return bool(source[position:node.end_byte].strip())


def blank_comments(code: str, language: str) -> str:
    """``code`` with every comment replaced by spaces (line breaks kept), so that what follows a comment is
    parsed as it would be without it (tree-sitter-go resolves ``pkg.F(x)`` differently before a comment)."""
    source = bytearray(code.encode("utf-8"))
    stack = [parse(code, language).root_node]
    while stack:
        node = stack.pop()
        if is_comment(node):
            for i in range(node.start_byte, node.end_byte):
                if source[i] not in b"\r\n":
                    source[i] = 32
            continue
        stack.extend(node.children)
    return source.decode("utf-8", errors="replace")


def normalise_macro(body: str) -> str:
    """A C/C++ macro body (tree-sitter's raw ``preproc_arg``) without comments, its whitespace runs outside
    string and character literals collapsed to one space: the preprocessor sees the same tokens."""
    out: list[str] = []
    i, quote = 0, ""
    while i < len(body):
        char = body[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
            out.append(char)
        elif body.startswith("//", i):
            break
        elif body.startswith("/*", i):
            end = body.find("*/", i + 2)
            i = len(body) if end == -1 else end + 2
            out.append(" ")
            continue
        elif char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
        i += 1
    return "".join(out).strip()


def tree_signature(code: str, language: str) -> tuple:
    """The syntax tree of ``code`` with its comments blanked, as a tuple of (type, text of leaves and literals)."""
    code = blank_comments(code, language)
    source = code.encode("utf-8")
    out: list = []
    stack = [parse(code, language).root_node]
    while stack:
        node = stack.pop()
        if is_comment(node):
            continue
        if node.child_count == 0 or is_atomic(node, source):
            text = source[node.start_byte:node.end_byte]
            if node.type == "preproc_arg":
                text = normalise_macro(text.decode("utf-8")).encode("utf-8")
            out.append((node.type, text))
            continue
        out.append((node.type,))
        stack.extend(reversed(node.children))
    return tuple(out)


def program_parses(code: str, language: str) -> bool:
    """Whether ``code`` is a complete program fragment in ``language`` (Python: compiles to an AST)."""
    if language == "python":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return False
        return True
    return parses(code, language)


def strip_docstrings(tree: ast.AST) -> ast.AST:
    """Remove module, class and function docstrings in place (unless the docstring is the whole body)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                del body[0]
    return tree


def canonical(source: str) -> str:
    """The AST of ``source`` with docstrings removed, dumped (what equality of programs means here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.dump(strip_docstrings(ast.parse(source)))


def same_program(before: str, after: str, language: str) -> bool:
    """Equal syntax trees modulo whitespace and comments (both must parse without errors)."""
    if language == "python":
        try:
            return canonical(before) == canonical(after)
        except (SyntaxError, ValueError, RecursionError):
            return False
    return parses(after, language) and tree_signature(before, language) == tree_signature(after, language)


def detect_language(code: str, *, hint: str = "") -> str:
    """The only one of `LANGUAGES` whose parser reads ``code`` without an error (``hint`` breaks ties), or ``""``."""
    if not code.strip():
        return ""
    clean = [language for language in LANGUAGES if parses(code, language)]
    if len(clean) == 1:
        return clean[0]
    return hint if hint in clean else ""


def item_language(example: Example) -> str:
    """The item's language: its first tagged fence, then its declared language or subset name, else ``""``."""
    for text in (*example.chosen, *example.rejected):
        for block in fenced_blocks(text):
            language = canonical_language(block.group(2))
            if language:
                return language
    for declared in (str(example.meta.get("language", "")), example.subset):
        language = language_from_name(declared) or (canonical_language(declared) if declared in LANGUAGES else "")
        if language:
            return language
    return ""


@dataclass(frozen=True)
class CodeSpan:
    """Code inside a response: ``text[start:end]`` in ``language``; ``tagged`` when a fence named it."""

    start: int
    end: int
    language: str
    fenced: bool
    tagged: bool


def code_spans(text: str, item_lang: str = "", *, unfenced: bool = True) -> Iterator[CodeSpan]:
    """Fenced blocks (tag, else the item's language, else the parser) and, in a response with no fence, the
    unfenced runs of code lines that parse cleanly in the item's language. Blocks that do not parse and hold
    no code punctuation or keyword (program output, prose), and untagged blocks that do not parse, are not
    code and are not yielded; a tagged block that looks like code but does not parse is (its edit fails)."""
    any_fence = False
    for block in fenced_blocks(text):
        any_fence = True
        code = block.group(3)
        tag = canonical_language(block.group(2))
        start, end = block.span(3)
        if tag:
            if tag not in LANGUAGES or parses(code, tag) or _looks_like_code(code):
                yield CodeSpan(start, end, tag, True, True)  # a tagged block of output ("true") is not code
            continue
        language = item_lang if item_lang in LANGUAGES and parses(code, item_lang) else detect_language(code)
        if language:
            yield CodeSpan(start, end, language, True, False)
    if any_fence or not unfenced or item_lang not in LANGUAGES:
        return
    yield from _unfenced_spans(text, item_lang)


def _unfenced_spans(text: str, language: str) -> Iterator[CodeSpan]:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    index = 0
    while index < len(lines):
        if not _is_code_line(lines[index]):
            index += 1
            continue
        last = index
        probe = index
        while probe < len(lines) and (not lines[probe].strip() or _is_code_line(lines[probe])):
            if lines[probe].strip():
                last = probe
            probe += 1
        start, end = offsets[index], offsets[last + 1]
        region = text[start:end]
        if parses(region, language) and _looks_like_code(region):
            yield CodeSpan(start, end, language, False, False)
        index = last + 1


def _is_code_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if line[:1] in " \t":
        return True  # indented: code, or a continuation inside it
    return _PROSE.match(stripped) is None


def _looks_like_code(region: str) -> bool:
    return bool(re.search(r"[;{}()=\[\]]|^\s*(?:def|class|import|package|fn|func|use)\b", region, re.M))
