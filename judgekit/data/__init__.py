"""The data model and adapters for real preference formats; readers, writers, selections and pairs."""

from judgekit.data.adapters import ADAPTERS, Adapter
from judgekit.data.example import Example, Message
from judgekit.data.reader import SAMPLE, load_examples, read_examples, sample_path
from judgekit.data.selection import DataSelection, select_examples
from judgekit.data.stats import inspect_examples
from judgekit.data.writers import WRITE_FORMATS, write_examples

__all__ = [
    "ADAPTERS",
    "SAMPLE",
    "WRITE_FORMATS",
    "Adapter",
    "DataSelection",
    "Example",
    "Message",
    "inspect_examples",
    "load_examples",
    "read_examples",
    "sample_path",
    "select_examples",
    "write_examples",
]
