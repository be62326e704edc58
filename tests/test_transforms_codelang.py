"""Code in six languages: detection, tree-checked minification, comments and appendices, on tricky literals,
hep-style fences (RewardBench's hep-* subsets) and the real RM-Bench code set."""

from __future__ import annotations

import collections

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from judgekit.data import Example, read_examples
from judgekit.transforms.codelang import (
    CodeError,
    canonical_language,
    code_spans,
    detect_language,
    item_language,
    language_from_name,
    parse,
    same_program,
    tree_signature,
)
from judgekit.transforms.engine import build_transform, run_transforms
from judgekit.transforms.minify import minify_code
from tests.conftest import shared_file

CODE_TRANSFORMS = ["code-minify", "code-comment-good", "code-comment-bad", "code-append-other"]


def _comments(code: str, language: str) -> int:
    stack, count = [parse(code, language).root_node], 0
    while stack:
        node = stack.pop()
        count += "comment" in node.type
        stack.extend(node.children)
    return count


# Each case: code, and literal texts that must survive byte for byte.
TRICKY = {
    "cpp": ('#include <vector>\n#define TWICE(x) ((x) * 2)  // macro\n\n'
            'std::vector<std::vector<int>> grid;  // nested template\n'
            'int f(int a, int b) {\n    const char* s = "not // a comment /* nor this */";\n'
            '    auto raw = R"(raw // text)";\n    return a - -b + TWICE(a);  /* block */\n}\n',
            ['"not // a comment /* nor this */"', 'R"(raw // text)"', "#define TWICE(x) ((x) * 2)\n"]),
    "go": ('package main\n\nimport "fmt"\n\n// Sum adds.\nfunc Sum(xs []int) int {\n    total := 0\n'
           '    for _, x := range xs {\n        total += x // running\n    }\n    s := `raw // text`\n'
           '    fmt.Println(s)\n    return total\n}\n',
           ["`raw // text`", '"fmt"']),
    "java": ('import java.util.*;\n\nclass Solution {\n    /** Javadoc. */\n'
             '    public Map<String, List<Integer>> index(String s) {\n        char q = \'"\';\n'
             '        String t = "/* not a comment */ // nor this";\n        return new HashMap<>();\n    }\n}\n',
             ['"/* not a comment */ // nor this"', "'\"'"]),
    "javascript": ("const a = 1\nconst b = a\n(function () { return 2 })()\nfunction g() {\n  return\n}\n"
                   "const t = `tpl // ${a + 1} /* kept */`\nconst re = /\\/\\/+/g  // regex\n",
                   ["`tpl // ${a + 1} /* kept */`", "/\\/\\/+/g"]),
    "python": ('def f(x):\n    """Doc."""\n    # comment\n    s = "# not a comment"\n'
               '    return f"{x!r:>4} # kept"\n',
               ["# not a comment", "{x!r:>4} # kept"]),  # ast.unparse may change the quotes
    "rust": ('/// Doc comment.\nfn longest<\'a>(x: &\'a str, y: &\'a str) -> &\'a str {\n'
             '    let raw = r#"raw "quoted" // text"#;\n    let c = \'"\';  // char\n'
             '    let v: Vec<Vec<i32>> = vec![vec![1]];\n    if x.len() > y.len() { x } else { y }\n}\n',
             ['r#"raw "quoted" // text"#', "'\"'", "Vec<Vec<i32>"]),
}


@pytest.mark.parametrize("language", sorted(TRICKY))
def test_minify_keeps_the_tree_and_every_literal(language):
    code, literals = TRICKY[language]
    minified = minify_code(code, language)
    assert same_program(code, minified, language)
    assert len(minified) < len(code)
    assert _comments(minified, language) == 0
    for literal in literals:
        assert literal in minified, literal
    assert not any(line != line.lstrip() for line in minified.splitlines() if language != "python")
    assert minify_code(minified, language) == minified  # already minimal


def test_newlines_stay_where_the_language_needs_them():
    go = minify_code(TRICKY["go"][0], "go")
    assert "total:=0\nfor" in go  # Go inserts a semicolon at the line end: the break stays
    js = minify_code(TRICKY["javascript"][0], "javascript")
    assert "return\n}" in js  # ASI: `return` then a line break returns undefined
    assert "const b=a\n(function" in js  # and this stays a call of `a`, as the original is
    cpp = minify_code(TRICKY["cpp"][0], "cpp")
    assert cpp.startswith("#include <vector>\n#define TWICE(x) ((x) * 2)\n") or cpp.startswith(
        "#include<vector>\n#define TWICE(x) ((x) * 2)\n")
    assert "\n" not in minify_code(TRICKY["java"][0], "java")
    assert "\n" not in minify_code(TRICKY["rust"][0], "rust")


def test_the_tree_check_catches_a_changed_program():
    assert not same_program("int f(int a, int b) { return a - -b; }", "int f(int a,int b){return a--b;}", "cpp")
    assert not same_program("let x = a\n(b)\n", "let x = a;(b)\n", "javascript")
    assert not same_program('s := "a//b"\n', 's := "a"\n', "go")
    assert same_program("x = 1  # one\n", "x=1\n", "python")
    # comments never count, wherever they are
    assert tree_signature("fn f() { /* c */ }", "rust") == tree_signature("fn f(){}", "rust")


def test_code_that_does_not_parse_is_reported_not_changed():
    with pytest.raises(CodeError, match="syntax error"):
        minify_code("int main( { return 0; }", "cpp")
    with pytest.raises(CodeError, match="python"):
        minify_code("def broken(:\n", "python")


def test_language_detection_order_fence_then_subset_then_parser():
    assert canonical_language("C++") == "cpp" and canonical_language("js") == "javascript"
    assert canonical_language("golang") == "go" and canonical_language("rs {.numberLines}") == "rust"
    assert [language_from_name(s) for s in ("hep-cpp", "hep-js", "hep-go", "hep-java", "hep-python", "hep-rust")] \
        == ["cpp", "javascript", "go", "java", "python", "rust"]
    assert language_from_name("alpacaeval-easy") == ""
    assert detect_language("package main\n\nfunc main() {\n\tx := 1\n\t_ = x\n}\n") == "go"
    assert detect_language("fn main() { let v: Vec<i32> = Vec::new(); }") == "rust"
    fenced = Example(id="f", prompt="p", subset="hep-go", chosen=["```rust\nfn a() {}\n```"], rejected=["x"])
    assert item_language(fenced) == "rust"  # the fence wins over the subset name
    by_subset = Example(id="s", prompt="p", subset="hep-go", chosen=["```\nfunc a() {}\n```"], rejected=["x"])
    assert item_language(by_subset) == "go"
    declared = Example(id="d", prompt="p", subset="code", chosen=["a"], rejected=["b"], meta={"language": "java"})
    assert item_language(declared) == "java"


def test_untagged_output_blocks_and_prose_are_not_code():
    text = "Here is the code:\n\n```\nfunc F() int { return 1 }\n```\n\nOutput:\n\n```\n0 2 3 5\n```\n"
    spans = list(code_spans(text, "go"))
    assert [(s.language, s.tagged) for s in spans] == [("go", False)]
    plain = "To solve it, use this Go code:\n\nfunc F() int {\n    return 1\n}\n\nThis returns one."
    (span,) = list(code_spans(plain, "go"))
    assert plain[span.start:span.end] == "func F() int {\n    return 1\n}\n" and not span.fenced


# -- hep-style items: the six RewardBench hep-* subsets, fenced with and without a tag, and unfenced -------
HEP = {
    "cpp": ("cpp", "#include<vector>\nusing namespace std;\nint add(int x, int y) {\n    return x + y;  // sum\n}\n",
            "#include<vector>\nusing namespace std;\nint add(int x, int y) {\n    return x - y;\n}\n"),
    "go": ("go", "func Add(x int, y int) int {\n    return x + y // sum\n}\n",
           "func Add(x int, y int) int {\n    return x - y\n}\n"),
    "java": ("java", "class Solution {\n    public int add(int x, int y) {\n        return x + y; // sum\n    }\n}\n",
             "class Solution {\n    public int add(int x, int y) {\n        return x - y;\n    }\n}\n"),
    "js": ("javascript", "const add = (x, y) => {\n  return x + y  // sum\n}\n",
           "const add = (x, y) => {\n  return x - y\n}\n"),
    "python": ("python", "def add(x, y):\n    # sum\n    return x + y\n", "def add(x, y):\n    return x - y\n"),
    "rust": ("rust", "fn add(x: i32, y: i32) -> i32 {\n    x + y // sum\n}\n",
             "fn add(x: i32, y: i32) -> i32 {\n    x - y\n}\n"),
}


def hep_items() -> list[Example]:
    items = []
    for tag, (language, good, bad) in HEP.items():
        for style in ("tagged", "untagged", "bare"):
            def wrap(code: str, style=style, tag=tag) -> str:
                if style == "tagged":
                    return f"```{tag}\n{code}```"
                return f"```\n{code}```" if style == "untagged" else code
            items.append(Example(id=f"hep-{tag}-{style}", prompt=f"Write an add function ({language}).",
                                 chosen=[wrap(good)], rejected=[wrap(bad)], subset=f"hep-{tag}"))
    return items


def test_code_transforms_apply_to_every_hep_language_and_fence_style():
    items = hep_items()
    for name in CODE_TRANSFORMS:
        outcome = run_transforms(items, [build_transform(name)], seed=0)[name]
        assert not outcome.failed and not outcome.not_applicable, (name, outcome.failed, outcome.not_applicable)
        for example in outcome.examples:
            language = HEP[example.subset.removeprefix("hep-")][0]
            if name == "code-minify":
                assert "sum" not in example.chosen[0]
            if name.startswith("code-comment"):
                marker = "#" if language == "python" else "//"
                assert marker + " This code is" in example.chosen[0] and marker + " This code is" in example.rejected[0]
            if name == "code-append-other":
                assert example.chosen[0].endswith("```") and f"```{language}\n" in example.chosen[0]


def test_a_tagged_block_that_does_not_parse_fails_the_item_with_the_reason():
    item = Example(id="bad", prompt="p", subset="hep-cpp", chosen=["```cpp\nint f( { return 1; }\n```"],
                   rejected=["```cpp\nint f() { return 2; }\n```"])
    outcome = run_transforms([item], [build_transform("code-minify")])["code-minify"]
    assert not outcome.examples
    (failed,) = outcome.failed
    assert "chosen[0] block 1: cpp: the original has" in failed[1]


# -- real data ---------------------------------------------------------------------------------------
def test_code_transforms_apply_to_every_language_of_rm_bench_code():
    items = list(read_examples(str(shared_file("rm-bench/code.json"))))
    languages = {e.id: e.meta["language"] for e in items}
    assert set(languages.values()) == {"cpp", "go", "java", "javascript", "python", "rust"}
    for name in CODE_TRANSFORMS:
        outcome = run_transforms(items, [build_transform(name)], seed=0)[name]
        applied = collections.Counter(languages[e.id] for e in outcome.examples)
        total = collections.Counter(languages.values())
        assert not outcome.failed, (name, outcome.failed[:3])
        for language, count in total.items():
            assert applied[language] >= 0.9 * count, (name, language, applied[language], count)


def test_minified_rm_bench_code_parses_to_the_same_tree():
    items = list(read_examples(str(shared_file("rm-bench/code.json"))))[:40]
    outcome = run_transforms(items, [build_transform("code-minify")], seed=0)["code-minify"]
    sources = {e.id: e for e in items}
    checked = 0
    for example in outcome.examples:
        source, language = sources[example.id], sources[example.id].meta["language"]
        for before, after in zip(source.chosen + source.rejected, example.chosen + example.rejected, strict=True):
            old = [before[s.start:s.end] for s in code_spans(before, language)]
            new = [after[s.start:s.end] for s in code_spans(after, language)]
            assert len(old) == len(new)
            for a, b in zip(old, new, strict=True):
                assert same_program(a, b, language)
                checked += 1
    assert checked >= 200


# -- properties ---------------------------------------------------------------------------------------
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).map(lambda n: f"v_{n}")  # never a keyword
literals = st.text(alphabet="ab /*#\\'", max_size=8).map(lambda s: s.replace("\\", "\\\\").replace("'", ""))
PROGRAMS = {
    "cpp": "int {f}(int {a}) {{\n    // c\n    const char* s = \"{s}\";\n    return {a} - -{n};\n}}\n",
    "go": "func {F}({a} int) int {{\n    s := \"{s}\" // c\n    _ = s\n    return {a} - -{n}\n}}\n",
    "java": "class {F} {{\n  int {f}(int {a}) {{ String s = \"{s}\"; /* c */ return {a} - -{n}; }}\n}}\n",
    "javascript": "function {f}({a}) {{\n  const s = \"{s}\"  // c\n  return {a} - -{n}\n}}\n",
    "rust": "fn {f}({a}: i32) -> i32 {{\n    let _s = \"{s}\"; // c\n    {a} - -{n}\n}}\n",
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PROGRAMS)), names, names, literals, st.integers(min_value=0, max_value=999))
def test_minify_is_tree_preserving_and_idempotent(language, f, a, s, n):
    if f == a:
        a = a + "x"
    code = PROGRAMS[language].format(f=f, F=f.capitalize(), a=a, s=s, n=n)
    minified = minify_code(code, language)
    assert same_program(code, minified, language)
    assert f'"{s}"' in minified and "// c" not in minified and "/* c */" not in minified
    assert minify_code(minified, language) == minified
