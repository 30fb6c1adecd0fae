"""Where ``fastmeanshift cluster`` writes (``--labels``, ``--centers``,
``--plot``), checked before any work, on this machine and with
``--scheduler`` alike: a path that cannot be written is a UsageError."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .output_files import format_of
from .plot import plot_formats

# With --scheduler the workers write the labels, one file a partition.
LABEL_PATTERN_HINT = "give a pattern with one *, such as labels/part-*.npy"
CLUSTER_LABEL_FORMATS = ("csv", "npy")


@dataclass(frozen=True)
class Output:
    """A table to write: ``labels`` or ``centers``, where, in which format."""

    table: str
    path: str
    format: str


def planned_outputs(args: argparse.Namespace) -> list[Output]:
    """Each output requested, checked; empty for the default JSON document
    on stdout. With ``--scheduler``, ``--labels`` is a pattern with one
    ``*``, a file for each partition, whose folder is made if missing."""
    on_cluster = args.scheduler is not None
    requested = [
        (name, path) for name, path in (("labels", args.labels), ("centers", args.centers)) if path
    ]
    if not requested:
        if args.format not in (None, "json"):
            raise UsageError(f"--format {args.format} needs --labels or --centers")
        return []
    paths = [path for _, path in requested]
    if paths.count("-") > 1:
        raise UsageError("only one of --labels and --centers can go to stdout (-)")
    files = {os.path.abspath(path) for path in paths if path != "-"}
    if len(files) < len([path for path in paths if path != "-"]):
        raise UsageError(f"--labels and --centers are the same file, {paths[0]}")
    outputs = []
    for name, path in requested:
        fmt = format_of(path, args.format)
        if on_cluster and name == "labels":
            _check_label_pattern(path, fmt)
        else:
            check_output_path(f"--{name}", path)
        if fmt is None:
            raise UsageError(
                f"--{name} {path}: cannot tell the output format from the extension; "
                "use .csv, .npy or .json, or --format"
            )
        if path == "-" and fmt == "npy" and sys.stdout.isatty():
            raise UsageError("will not write binary .npy data to a terminal")
        outputs.append(Output(name, path, fmt))
    return outputs


def check_output_path(option: str, path: str) -> None:
    """A usage error for an output file that cannot be made: a folder, or a
    file in a folder that does not exist."""
    if path == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder, not a file")
    folder = target.parent
    if not folder.is_dir():
        missing = "is not a folder" if folder.exists() else "does not exist"
        raise UsageError(f"{option} {path}: the folder {folder} {missing}")


def _check_label_pattern(pattern: str, fmt: str | None) -> None:
    """``--labels`` with ``--scheduler``: one ``*``, a format the workers
    write, and a folder that is one or can be made."""
    if pattern == "-" or pattern.count("*") != 1:
        raise UsageError(
            f"--labels {pattern}: with --scheduler, labels are written one file per partition; "
            + LABEL_PATTERN_HINT
        )
    if fmt not in CLUSTER_LABEL_FORMATS:
        raise UsageError(
            f"--labels {pattern}: with --scheduler, labels are written to .csv or .npy files"
        )
    folder = Path(pattern).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"--labels {pattern}: {folder} is not a folder")


def label_paths(pattern: str, partitions: int) -> list[str]:
    """One path a partition: the ``*`` of a checked ``--labels`` pattern
    replaced by its number."""
    width = len(str(max(partitions - 1, 0)))
    return [pattern.replace("*", f"{k:0{width}d}") for k in range(partitions)]


def plot_target(path: str) -> str:
    """The file a plot is written to: ``path``, with ``.png`` added when it
    has no extension (matplotlib's default format, added here so that the
    name said is the name written)."""
    return path if Path(path).suffix else f"{path}.png"


def check_plot_path(path: str) -> None:
    """``check_output_path`` for ``--plot`` as given and for its
    ``plot_target``, whose extension matplotlib must know (a
    MissingDependency without matplotlib)."""
    check_output_path("--plot", path)
    target = plot_target(path)
    if target != path:
        check_output_path("--plot", target)
    suffix = Path(target).suffix.lower().lstrip(".")
    formats = plot_formats()
    if suffix not in formats:
        raise UsageError(
            f"--plot {path}: matplotlib cannot write .{suffix} files; use one of "
            + ", ".join(f".{fmt}" for fmt in formats)
        )
